package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Model states of a volume's root directory (path to content), as crash tests compare them. */
final class FileStates {
    private FileStates() {
    }

    static Map<String, byte[]> copy(Map<String, byte[]> m) {
        Map<String, byte[]> c = new LinkedHashMap<>();
        m.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    static boolean same(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        return a.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), b.get(e.getKey())));
    }

    /** Whether {@code found} is one of {@code candidates}. */
    static boolean oneOf(List<Map<String, byte[]>> candidates, Map<String, byte[]> found) {
        return candidates.stream().anyMatch(c -> same(c, found));
    }

    /**
     * Whether {@code found} is a commit of a state whose unsynced buffered data was only in
     * part written back: names and sizes of one candidate, and every block of every file
     * as that file held it in some candidate (the page cache writes back page by page, and
     * an fsync makes only its own file's pages durable, as on Linux).
     */
    static boolean blockMix(List<Map<String, byte[]>> candidates, Map<String, byte[]> found, int block) {
        return blockMix(candidates, found, Map.of(), Map.of(), block);
    }

    /**
     * {@link #blockMix}, where the blocks in {@code lost} (unreadable: their checksum failed)
     * pass only if the candidates disagree on them: blocks the workload overwrote since the
     * last mark, as a NOCOW overwrite in place cut before its commit leaves them (README:
     * "A NOCOW file keeps its checksums unless it is also nodatasum"). {@code sameFile}: per
     * path, the contents the file found there had in the candidates under whatever name it
     * had then (renames followed); the candidates' content at the path when absent.
     */
    static boolean blockMix(List<Map<String, byte[]>> candidates, Map<String, byte[]> found,
            Map<String, java.util.BitSet> lost, Map<String, List<byte[]>> sameFile, int block) {
        boolean shape = candidates.stream().anyMatch(c -> c.keySet().equals(found.keySet()) && c.keySet().stream()
                .allMatch(k -> c.get(k).length == found.get(k).length));
        if (!shape) {
            return false;
        }
        for (var e : found.entrySet()) {
            byte[] f = e.getValue();
            for (int at = 0; at < f.length; at += block) {
                int end = Math.min(f.length, at + block);
                int from = at;
                if (lost.getOrDefault(e.getKey(), new java.util.BitSet()).get(at / block)) {
                    List<byte[]> contents = sameFile.getOrDefault(e.getKey(),
                            candidates.stream().map(c -> c.get(e.getKey())).filter(c -> c != null).toList());
                    long versions = contents.stream().map(c -> java.nio.ByteBuffer.wrap(
                            Arrays.copyOf(c, Math.max(c.length, end)), from, end - from)).distinct().count();
                    if (versions < 2) {
                        return false;
                    }
                    continue;
                }
                boolean seen = candidates.stream().map(c -> c.get(e.getKey())).anyMatch(c -> c != null
                        && Arrays.equals(f, from, end, Arrays.copyOf(c, Math.max(c.length, end)), from, end));
                if (!seen && !tornInPlace(candidates, e.getKey(), f, from, end)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Null when every file's bitmap {@link ModelOps#BITMAP_NAME} is as one of the allowed
     * states has it: absent where a state has none, else covering every granule where the
     * file now differs from the content that state recorded when the bitmap was added or
     * last cleared (a transactional bitmap never misses a change, whatever the crash);
     * otherwise what is wrong.
     */
    static String bitmapMisses(CowVolume v, Map<String, byte[]> found, List<Map<String, byte[]>> allowed)
            throws IOException {
        for (var e : found.entrySet()) {
            String path = e.getKey();
            java.util.BitSet dirty = null;
            try (var f = v.open(path, java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
                var bitmaps = f.bitmaps();
                if (bitmaps.list().stream().anyMatch(b -> b.name().equals(ModelOps.BITMAP_NAME))) {
                    dirty = new java.util.BitSet();
                    for (var r : bitmaps.dump(ModelOps.BITMAP_NAME)) {
                        dirty.set((int) (r.offset() / ModelOps.B), (int) ((r.end() + ModelOps.B - 1) / ModelOps.B));
                    }
                }
            }
            java.util.BitSet changed = null;
            boolean ok = false;
            for (Map<String, byte[]> state : allowed) {
                byte[] base = state.get(ModelOps.BITMAP + path);
                if (dirty == null || base == null) {
                    ok |= dirty == null && base == null;
                    continue;
                }
                java.util.BitSet need = changed(base, e.getValue(), ModelOps.B);
                need.andNot(dirty);
                if (need.isEmpty()) {
                    ok = true;
                } else {
                    changed = need;
                }
            }
            if (!ok) {
                return path + (dirty == null ? ": its bitmap is missing"
                        : changed == null ? ": a bitmap no allowed state has"
                        : ": bitmap misses changed blocks " + changed + " (dirty " + dirty + ")");
            }
        }
        return null;
    }

    /** Blocks where two contents differ (bytes past an end read as zeros). */
    private static java.util.BitSet changed(byte[] a, byte[] b, int block) {
        java.util.BitSet out = new java.util.BitSet();
        int length = Math.max(a.length, b.length);
        byte[] x = Arrays.copyOf(a, length);
        byte[] y = Arrays.copyOf(b, length);
        for (int at = 0; at < length; at += block) {
            int end = Math.min(length, at + block);
            if (!Arrays.equals(x, at, end, y, at, end)) {
                out.set(at / block);
            }
        }
        return out;
    }

    /**
     * Whether block {@code [from, end)} of {@code found} is a torn in-place write: the
     * candidates disagree on it (the workload wrote it since the last mark) and each of its
     * 512-byte sectors is as some candidate has it. Only a nodatasum block written in place
     * (NOCOW) can show that after a crash, as on any disk; a checksummed one fails its
     * checksum instead, and a copied one is not referenced by the durable tree.
     */
    private static boolean tornInPlace(List<Map<String, byte[]>> candidates, String path, byte[] found, int from,
            int end) {
        List<byte[]> versions = candidates.stream().map(c -> c.get(path)).filter(c -> c != null)
                .map(c -> Arrays.copyOf(c, Math.max(c.length, end))).toList();
        if (versions.stream().map(c -> java.nio.ByteBuffer.wrap(c, from, end - from)).distinct().count() < 2) {
            return false;
        }
        for (int at = from; at < end; at += 512) {
            int s = at;
            int e = Math.min(end, at + 512);
            if (versions.stream().noneMatch(c -> Arrays.equals(found, s, e, c, s, e))) {
                return false;
            }
        }
        return true;
    }

    static String describe(Map<String, byte[]> files) {
        StringBuilder s = new StringBuilder("{");
        files.forEach((k, v) -> s.append(k).append(": ").append(v.length).append(" bytes, "));
        return s.append("}").toString();
    }

    /** Where {@code found} first departs from {@code expected}, file by file. */
    static String difference(Map<String, byte[]> expected, Map<String, byte[]> found) {
        List<String> out = new java.util.ArrayList<>();
        for (String k : new java.util.TreeSet<>(union(expected, found))) {
            byte[] e = expected.get(k);
            byte[] f = found.get(k);
            if (e == null || f == null) {
                out.add(k + (e == null ? " unexpected" : " missing"));
            } else if (!Arrays.equals(e, f)) {
                int at = Arrays.mismatch(e, f);
                out.add(k + " differs at " + at + " (sizes " + e.length + "/" + f.length + ")");
            }
        }
        return out.toString();
    }

    private static java.util.Set<String> union(Map<String, byte[]> a, Map<String, byte[]> b) {
        java.util.Set<String> keys = new java.util.HashSet<>(a.keySet());
        keys.addAll(b.keySet());
        return keys;
    }

    /** Files read block by block: {@code lost} holds the blocks whose checksum failed, which read as zeros. */
    record Found(Map<String, byte[]> files, Map<String, java.util.BitSet> lost) {
    }

    static Found readBlocks(CowVolume v, int block) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        Map<String, java.util.BitSet> lost = new TreeMap<>();
        for (var e : v.list("/")) {
            String path = "/" + e.name();
            try (var f = v.open(path, java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
                byte[] content = new byte[(int) f.size()];
                for (int at = 0; at < content.length; at += block) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content, at, Math.min(block, content.length - at));
                    try {
                        while (b.hasRemaining() && f.read(b, b.position()) >= 0) {
                            // read on
                        }
                    } catch (org.cowstack.storage.api.ChecksumMismatchException checksum) {
                        Arrays.fill(content, at, Math.min(content.length, at + block), (byte) 0);
                        lost.computeIfAbsent(path, k -> new java.util.BitSet()).set(at / block);
                    }
                }
                files.put(path, content);
            }
        }
        return new Found(files, lost);
    }

    /** Every file of the root directory with its content. */
    static Map<String, byte[]> read(CowVolume v) throws IOException {
        Map<String, byte[]> found = new TreeMap<>();
        for (var e : v.list("/")) {
            found.put("/" + e.name(), Volumes.readAll(v, "/" + e.name()));
        }
        return found;
    }
}
