package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fsx idea: a long seeded sequence of writes (buffered and direct), reads,
 * fallocate (every mode), clones, dedupes, truncates, renames, deletes and re-creates
 * with random NOCOW/nodatasum flags, syncs and remounts, checked after every step against a
 * model of what every file must contain, with a reference-count audit now and then.
 */
class ModelTest {
    private static final int FILES = 4;
    private static final int MAX_FILE = 3 << 20;

    @ParameterizedTest
    @ValueSource(ints = {4096, 512})
    void randomOperationsMatchTheModel(int blockSize) throws IOException {
        long seed = Seeds.seed("ModelTest." + blockSize);
        Random r = new Random(seed);
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:model" + blockSize);
        // 4 KiB blocks with two copies of data as well as of metadata: every operation keeps both.
        volumes.mkfs(uri, 64 << 20, FormatOptions.defaults().blockSize(blockSize)
                .dataProfile(blockSize == 4096 ? FormatOptions.DUP : FormatOptions.SINGLE));
        CowVolume v = volumes.mount(uri);
        Map<String, byte[]> model = new TreeMap<>();
        int ops = 3000;
        for (int op = 0; op < ops; op++) {
            String path = "/f" + r.nextInt(FILES);
            byte[] content = model.get(path);
            String what;
            int choice = r.nextInt(100);
            if (choice < 35) {
                what = "write";
                int length = 1 + r.nextInt(r.nextInt(10) == 0 ? 256 << 10 : 20_000);
                long offset = r.nextInt(MAX_FILE - length);
                byte[] data = new byte[length];
                r.nextBytes(data);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.write(ByteBuffer.wrap(data), offset);
                }
                model.put(path, apply(content, offset, data));
            } else if (choice < 50) {
                int blocks = 1 + r.nextInt(32);
                long offset = (long) r.nextInt(MAX_FILE / blockSize - blocks) * blockSize;
                byte[] data = new byte[blocks * blockSize];
                r.nextBytes(data);
                String strategy = Volumes.DIO_STRATEGIES.get(r.nextInt(Volumes.DIO_STRATEGIES.size()));
                boolean heap = r.nextBoolean();
                what = "direct write (" + strategy + (heap ? ", heap" : ", direct buffer") + ")";
                v.dioStrategy(strategy);
                ByteBuffer src = heap ? ByteBuffer.wrap(data) : ByteBuffer.allocateDirect(data.length).put(data).flip();
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.writeDirect(src, offset);
                }
                model.put(path, apply(content, offset, data));
            } else if (choice < 52) {
                what = "falloc";
                FallocateMode mode = FALLOCATE_MODES[r.nextInt(FALLOCATE_MODES.length)];
                long offset = r.nextInt(MAX_FILE - 1);
                long length = 1 + r.nextInt(Math.min(MAX_FILE - (int) offset, r.nextBoolean() ? 40_000 : 400_000));
                if (r.nextBoolean()) {
                    offset -= offset % blockSize;
                    length = Math.max(blockSize, length - length % blockSize);
                }
                what = "falloc " + mode + " " + offset + "+" + length;
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.fallocate(mode, offset, length);
                }
                model.put(path, fallocate(content, mode, offset, length));
            } else if (choice < 57) {
                String from = "/f" + r.nextInt(FILES);
                byte[] source = model.get(from);
                what = "clone " + from;
                if (source != null && source.length > 0) {
                    long srcOff = (long) r.nextInt(source.length / blockSize + 1) * blockSize;
                    long dstOff = (long) r.nextInt(MAX_FILE / blockSize / 2) * blockSize;
                    long len = r.nextInt(4) == 0 ? 0 : (long) (1 + r.nextInt(64)) * blockSize;
                    if (r.nextInt(4) == 0 && srcOff < source.length) {
                        len = source.length - srcOff; // to the (possibly partial) end of file
                    }
                    what = "clone " + from + " " + srcOff + " -> " + path + " " + dstOff + " +" + len;
                    byte[] target = content == null ? new byte[0] : content;
                    long expected = expectedClone(from.equals(path), source, srcOff, target, dstOff, len, blockSize);
                    long got;
                    try (FileHandle s = v.open(from, EnumSet.of(StandardOpenOption.READ));
                            FileHandle d = v.open(path, Volumes.RW)) {
                        got = d.cloneRange(s, srcOff, dstOff, len);
                    } catch (InvalidArgumentException e) {
                        got = -1;
                    }
                    assertEquals(expected, got, "op " + op + " " + what + " (seed " + seed + ")");
                    if (got > 0) {
                        byte[] copy = Arrays.copyOfRange(source, (int) srcOff, (int) (srcOff + got));
                        model.put(path, apply(target, dstOff, copy));
                    } else {
                        model.put(path, target);
                    }
                }
            } else if (choice < 60) {
                String from = "/f" + r.nextInt(FILES);
                byte[] source = model.get(from);
                what = "dedupe " + from;
                if (source != null && content != null && source.length >= blockSize && content.length >= blockSize
                        && !from.equals(path)) {
                    long len = (long) (1 + r.nextInt(16)) * blockSize;
                    len = Math.min(len, Math.min(source.length, content.length) / blockSize * blockSize);
                    long srcOff = (long) r.nextInt((int) ((source.length - len) / blockSize) + 1) * blockSize;
                    long dstOff = (long) r.nextInt((int) ((content.length - len) / blockSize) + 1) * blockSize;
                    if (r.nextBoolean()) {
                        // make them equal first, so dedupe has something to share
                        byte[] same = Arrays.copyOfRange(source, (int) srcOff, (int) (srcOff + len));
                        try (FileHandle f = v.open(path, Volumes.RW)) {
                            f.write(ByteBuffer.wrap(same), dstOff);
                        }
                        content = apply(content, dstOff, same);
                        model.put(path, content);
                    }
                    boolean equal = Arrays.equals(source, (int) srcOff, (int) (srcOff + len), content, (int) dstOff,
                            (int) (dstOff + len));
                    DedupeResult result;
                    try (FileHandle s = v.open(from, EnumSet.of(StandardOpenOption.READ));
                            FileHandle d = v.open(path, Volumes.RW)) {
                        result = d.dedupeRange(s, srcOff, dstOff, len);
                    }
                    what = "dedupe " + from + " " + srcOff + " -> " + path + " " + dstOff + " +" + len;
                    assertEquals(!equal, result.differs(), "op " + op + " " + what + " (seed " + seed + ")");
                    assertTrue(result.bytesDeduped() <= len, "op " + op + " " + what);
                }
            } else if (choice < 62) {
                what = "truncate";
                int size = r.nextBoolean() ? r.nextInt(MAX_FILE) : r.nextInt(20_000);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.truncate(size);
                }
                model.put(path, Arrays.copyOf(content == null ? new byte[0] : content, size));
            } else if (choice < 64) {
                what = "delete and create";
                if (content != null) {
                    v.delete(path);
                    model.remove(path);
                }
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    Set<FileFlag> flags = EnumSet.noneOf(FileFlag.class);
                    for (FileFlag flag : FileFlag.values()) {
                        if (r.nextBoolean()) {
                            flags.add(flag);
                        }
                    }
                    f.setFlags(flags, Set.of());
                    what = "create " + flags;
                }
                model.put(path, new byte[0]);
            } else if (choice < 68) {
                what = "rename";
                String to = "/f" + r.nextInt(FILES);
                if (content != null) {
                    v.rename(path, to);
                    model.remove(path);
                    model.put(to, content);
                }
            } else if (choice < 88) {
                what = "read";
                if (content != null && content.length > 0) {
                    int offset = r.nextInt(content.length);
                    int length = 1 + r.nextInt(Math.min(100_000, content.length - offset));
                    ByteBuffer got = ByteBuffer.allocate(length);
                    try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
                        assertEquals(length, f.read(got, offset), "op " + op + " read length (seed " + seed + ")");
                    }
                    assertArrayEquals(Arrays.copyOfRange(content, offset, offset + length), got.array(),
                            "op " + op + ": read " + path + " " + offset + "+" + length + " (seed " + seed + ")");
                }
            } else if (choice < 95) {
                what = "sync";
                v.sync();
            } else {
                String policy = Volumes.ALLOCATION_POLICIES.get(r.nextInt(Volumes.ALLOCATION_POLICIES.size()));
                what = "remount (" + policy + ")";
                v.unmount();
                v = volumes.mount(uri, MountOptions.defaults().allocationPolicy(policy));
                checkAll(v, model, "op " + op + " after remount (seed " + seed + ")");
            }
            if (op % 250 == 249) {
                assertEquals(List.of(), v.audit(), "op " + op + " (" + what + ") audit, seed " + seed);
                checkAll(v, model, "op " + op + " (seed " + seed + ")");
            }
        }
        v.unmount();
        v = volumes.mount(uri);
        checkAll(v, model, "at the end (seed " + seed + ")");
        assertEquals(List.of(), v.audit());
        var scrub = ScrubTest.scrub(v, false);
        assertEquals(0, scrub.errors(), "every copy of every block verifies (seed " + seed + "): " + scrub.damaged());
        assertTrue(scrub.blocksChecked() > 0);
        v.unmount();
    }

    private static final FallocateMode[] FALLOCATE_MODES = FallocateMode.values();

    /** What fallocate does to a file's bytes. */
    static byte[] fallocate(byte[] content, FallocateMode mode, long offset, long length) {
        byte[] base = content == null ? new byte[0] : content;
        long end = offset + length;
        switch (mode) {
            case ALLOCATE:
            case ZERO_RANGE:
                base = Arrays.copyOf(base, (int) Math.max(base.length, end));
                break;
            default:
                break;
        }
        if (mode == FallocateMode.PUNCH_HOLE || mode == FallocateMode.ZERO_RANGE
                || mode == FallocateMode.ZERO_RANGE_KEEP_SIZE) {
            Arrays.fill(base, (int) Math.min(offset, base.length), (int) Math.min(end, base.length), (byte) 0);
        }
        return base;
    }

    /**
     * FICLONERANGE's answer, worked out independently of the engine from the rules of
     * Linux's generic_remap_checks: the bytes cloned, or -1 for EINVAL.
     */
    static long expectedClone(boolean sameFile, byte[] source, long srcOff, byte[] target, long dstOff, long len,
            int bs) {
        long sizeIn = source.length;
        long sizeOut = sameFile ? sizeIn : target.length;
        if (len == 0) {
            if (srcOff > sizeIn) {
                return -1;
            }
            len = sizeIn - srcOff;
            if (len == 0) {
                return 0;
            }
        }
        if (srcOff % bs != 0 || dstOff % bs != 0 || srcOff >= sizeIn) {
            return -1;
        }
        if (len > sizeIn - srcOff) {
            return -1; // FICLONERANGE never shortens
        }
        boolean toEof = srcOff + len == sizeIn;
        if (!toEof && len % bs != 0) {
            return -1;
        }
        long covered = toEof ? (sizeIn + bs - 1) / bs * bs - srcOff : len;
        if (sameFile && dstOff + covered > srcOff && dstOff < srcOff + covered) {
            return -1;
        }
        if (len % bs != 0 && dstOff + len < sizeOut) {
            return -1;
        }
        return len;
    }

    private static byte[] apply(byte[] content, long offset, byte[] data) {
        byte[] base = content == null ? new byte[0] : content;
        byte[] out = Arrays.copyOf(base, (int) Math.max(base.length, offset + data.length));
        System.arraycopy(data, 0, out, (int) offset, data.length);
        return out;
    }

    static void checkAll(CowVolume v, Map<String, byte[]> model, String when) throws IOException {
        List<String> names = new ArrayList<>();
        v.list("/").forEach(e -> names.add("/" + e.name()));
        assertEquals(new ArrayList<>(model.keySet()), names, when + ": files");
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getValue(), Volumes.readAll(v, e.getKey()), when + ": content of " + e.getKey());
            assertEquals(e.getValue().length, v.stat(e.getKey()).size(), when + ": size of " + e.getKey());
        }
    }
}
