package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;

/**
 * The operations of crash workloads, each with what it does to the model (path to
 * content). {@link Op#apply} runs it on the volume and then updates the model; an
 * operation the engine refuses as Linux would (an invalid clone range) leaves both as
 * they were. Offsets and lengths of clone, dedupe, fallocate and direct writes are
 * whole blocks.
 */
final class ModelOps {
    static final int B = 4096;
    /**
     * Model keys of dirty bitmaps: {@code BITMAP + path} holds the file's content when its
     * bitmap {@code b} was added or last cleared (the bitmap must cover every change since).
     */
    static final String BITMAP = "#bitmap ";
    /** The one bitmap name workloads use: 4 KiB granules, transactional. */
    static final String BITMAP_NAME = "b";

    /** One operation. {@code persists}: an fsync-family call, after which the test places a mark. */
    interface Op {
        String name();

        default boolean persists() {
            return false;
        }

        /** Runs the operation; returns false when the engine refused it (nothing changed). */
        boolean apply(CowVolume v, Map<String, byte[]> model) throws IOException;
    }

    /** Body of an operation on one open file. */
    @FunctionalInterface
    interface FileBody {
        void run(FileHandle f, byte[] content) throws IOException;
    }

    private ModelOps() {
    }

    private static byte[] content(Map<String, byte[]> model, String path) {
        return model.getOrDefault(path, new byte[0]);
    }

    private static byte[] put(byte[] base, long at, byte[] data) {
        byte[] out = Arrays.copyOf(base, (int) Math.max(base.length, at + data.length));
        System.arraycopy(data, 0, out, (int) at, data.length);
        return out;
    }

    private static byte[] zero(byte[] base, long from, long to, boolean extend) {
        byte[] out = Arrays.copyOf(base, extend ? (int) Math.max(base.length, to) : base.length);
        Arrays.fill(out, (int) Math.min(from, out.length), (int) Math.min(to, out.length), (byte) 0);
        return out;
    }

    /** An operation on one file, which the open creates. */
    private static Op onFile(String name, String path, FileBody body, java.util.function.UnaryOperator<byte[]> model) {
        return new Op() {
            public String name() {
                return name;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                byte[] before = content(m, path);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    m.putIfAbsent(path, new byte[0]); // the open created it
                    body.run(f, before);
                }
                m.put(path, model.apply(before));
                return true;
            }

            public String toString() {
                return name;
            }
        };
    }

    static Op write(String path, long at, byte[] data) {
        return onFile("write " + path + " " + at + "+" + data.length, path,
                (f, c) -> f.write(ByteBuffer.wrap(data), at), c -> put(c, at, data));
    }

    /** A direct write with the volume's DIO strategy set to {@code strategy} first. */
    static Op writeDirect(CowVolume v, String path, long block, byte[] blocks, String strategy) {
        return onFile("direct(" + strategy + ") " + path + " " + block * B + "+" + blocks.length, path, (f, c) -> {
            v.dioStrategy(strategy);
            f.writeDirect(ByteBuffer.wrap(blocks), block * B);
        }, c -> put(c, block * B, blocks));
    }

    /** Appends; direct only when the end of file and the length are whole blocks (else buffered). */
    static Op append(String path, byte[] data, boolean direct) {
        return onFile("append " + path + " +" + data.length + (direct ? " direct" : ""), path,
                (f, c) -> f.append(ByteBuffer.wrap(data), direct && c.length % B == 0 && data.length % B == 0),
                c -> put(c, c.length, data));
    }

    static Op truncate(String path, long size) {
        return onFile("truncate " + path + " " + size, path, (f, c) -> f.truncate(size),
                c -> Arrays.copyOf(c, (int) size));
    }

    static Op fallocate(String path, FallocateMode mode, long block, long blocks) {
        long from = block * B;
        long to = from + blocks * B;
        return onFile("fallocate " + mode + " " + path + " " + from + "+" + blocks * B, path,
                (f, c) -> f.fallocate(mode, from, blocks * B), c -> switch (mode) {
                    case ALLOCATE -> c.length >= to ? c : Arrays.copyOf(c, (int) to);
                    case ALLOCATE_KEEP_SIZE, UNSHARE -> c;
                    case PUNCH_HOLE, ZERO_RANGE_KEEP_SIZE -> zero(c, from, to, false);
                    case ZERO_RANGE -> zero(c, from, to, true);
                });
    }

    /** Sets flags on a file the open creates; NOCOW needs it empty, so it applies only to a new file. */
    static Op create(String path, Set<FileFlag> flags) {
        return new Op() {
            public String name() {
                return "create " + path + " " + flags;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                boolean existed = m.containsKey(path);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    m.putIfAbsent(path, new byte[0]);
                    if (!existed) {
                        f.setFlags(flags, Set.of());
                    }
                }
                return true;
            }
        };
    }

    /**
     * Clones whole blocks of {@code src} into {@code dst}; with {@code dedupe}, first writes
     * the source's bytes over the destination range, then dedupes it (so the ranges match
     * and the dedupe shares them).
     */
    static Op share(String src, String dst, long srcBlock, long dstBlock, long blocks, boolean dedupe) {
        String name = (dedupe ? "dedupe " : "clone ") + src + "@" + srcBlock * B + " -> " + dst + "@" + dstBlock * B
                + " " + blocks * B;
        return new Op() {
            public String name() {
                return name;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                byte[] s = m.get(src);
                if (s == null || src.equals(dst) || (srcBlock + blocks) * B > s.length) {
                    return false;
                }
                byte[] range = Arrays.copyOfRange(s, (int) (srcBlock * B), (int) ((srcBlock + blocks) * B));
                try (FileHandle from = v.open(src, Volumes.RW); FileHandle to = v.open(dst, Volumes.RW)) {
                    m.putIfAbsent(dst, new byte[0]);
                    if (dedupe) {
                        to.write(ByteBuffer.wrap(range), dstBlock * B);
                        m.put(dst, put(m.get(dst), dstBlock * B, range));
                        to.dedupeRange(from, srcBlock * B, dstBlock * B, blocks * B);
                    } else {
                        try {
                            to.cloneRange(from, srcBlock * B, dstBlock * B, blocks * B);
                        } catch (InvalidArgumentException refused) {
                            return false; // as FICLONERANGE refuses (NOCOW and COW files, EOF rules)
                        }
                        m.put(dst, put(m.get(dst), dstBlock * B, range));
                    }
                }
                return true;
            }
        };
    }

    static Op rename(String from, String to) {
        return new Op() {
            public String name() {
                return "rename " + from + " " + to;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                if (!m.containsKey(from) || from.equals(to)) {
                    return false;
                }
                v.rename(from, to);
                m.put(to, m.remove(from));
                byte[] base = m.remove(BITMAP + from); // the bitmap goes with its file; the replaced file's with it
                m.remove(BITMAP + to);
                if (base != null) {
                    m.put(BITMAP + to, base);
                }
                return true;
            }
        };
    }

    static Op unlink(String path) {
        return new Op() {
            public String name() {
                return "unlink " + path;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                if (!m.containsKey(path)) {
                    return false;
                }
                v.delete(path);
                m.remove(path);
                m.remove(BITMAP + path);
                return true;
            }
        };
    }

    static Op fsync(String path) {
        return new Op() {
            public String name() {
                return "fsync " + path;
            }

            public boolean persists() {
                return true;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    m.putIfAbsent(path, new byte[0]);
                    f.fsync();
                }
                return true;
            }
        };
    }

    static Op sync() {
        return new Op() {
            public String name() {
                return "sync";
            }

            public boolean persists() {
                return true;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                v.sync();
                return true;
            }
        };
    }

    /** The files of a model state, without its bitmap records. */
    static Map<String, byte[]> files(Map<String, byte[]> state) {
        Map<String, byte[]> out = new java.util.LinkedHashMap<>(state);
        out.keySet().removeIf(k -> k.startsWith(BITMAP));
        return out;
    }

    /**
     * A store through a read-write mapping of an existing file, inside its size (a mapping
     * never grows a file), then, with {@code msync}, msync of the range: durable, as fsync.
     */
    static Op mappedStore(String path, long at, byte[] data, boolean msync) {
        return new Op() {
            public String name() {
                return "mapped store " + path + " " + at + "+" + data.length + (msync ? " msync" : "");
            }

            public boolean persists() {
                return msync;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                byte[] c = m.get(path);
                if (c == null || at + data.length > c.length) {
                    return false;
                }
                try (FileHandle f = v.open(path, Volumes.RW);
                        var map = f.map(at, data.length, org.cowstack.storage.api.volume.MapMode.READ_WRITE)) {
                    map.write(at, ByteBuffer.wrap(data));
                    if (msync) {
                        map.msync(at, data.length);
                    }
                }
                m.put(path, put(c, at, data));
                return true;
            }
        };
    }

    /**
     * Adds the file's bitmap (4 KiB granules, transactional), or clears it when it has one
     * (as a backup does when it ends); with {@code remove}, removes it.
     */
    static Op bitmap(String path, boolean remove) {
        return new Op() {
            public String name() {
                return (remove ? "bitmap remove " : "bitmap add/clear ") + path;
            }

            public boolean apply(CowVolume v, Map<String, byte[]> m) throws IOException {
                byte[] c = m.get(path);
                boolean has = m.containsKey(BITMAP + path);
                if (c == null || (remove && !has)) {
                    return false;
                }
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    var bitmaps = f.bitmaps();
                    if (remove) {
                        bitmaps.remove(BITMAP_NAME);
                        m.remove(BITMAP + path);
                        return true;
                    } else if (has) {
                        bitmaps.clear(BITMAP_NAME);
                    } else {
                        bitmaps.add(BITMAP_NAME, org.cowstack.storage.api.bitmap.BitmapOptions.defaults().granularity(B));
                    }
                }
                m.put(BITMAP + path, c.clone());
                return true;
            }
        };
    }
}
