package org.cowstack.storage.cow.fs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * What fsx expects of its files: each one's bytes now (null when it does not exist), and
 * what a power cut may leave of it. The engine promises that a file is as it was at its
 * last fsync (or sync, or a commit a swap or an unmount makes) or at some later moment:
 * so each file keeps every version it has had since that promise (arrays are never
 * changed in place, so a version is a reference), and the blocks any of them changed,
 * which are the only ones a cut may leave unreadable (a NOCOW overwrite in place).
 */
final class FsxModel {
    private final int blockSize;
    private final byte[][] content;
    private final List<List<byte[]>> versions = new ArrayList<>();
    private final List<Set<String>> fingerprints = new ArrayList<>();
    private final BitSet[] changed;

    FsxModel(int files, int blockSize) {
        this.blockSize = blockSize;
        content = new byte[files][];
        changed = new BitSet[files];
        for (int f = 0; f < files; f++) {
            versions.add(new ArrayList<>());
            fingerprints.add(new HashSet<>());
            changed[f] = new BitSet();
            durable(f);
        }
    }

    /** The file's bytes (never to be changed in place), or null when it does not exist. */
    byte[] content(int f) {
        return content[f];
    }

    /** The file's bytes, an empty array when it does not exist. */
    byte[] bytes(int f) {
        return content[f] == null ? new byte[0] : content[f];
    }

    int size(int f) {
        return content[f] == null ? 0 : content[f].length;
    }

    /** The file now holds {@code bytes}: a version a power cut may leave until the next promise. */
    void set(int f, byte[] bytes) {
        maybe(f, bytes);
        content[f] = bytes;
    }

    /** An operation that was cut off might have reached {@code bytes}: a cut may leave them too. */
    void maybe(int f, byte[] bytes) {
        if (fingerprints.get(f).add(fingerprint(bytes))) {
            versions.get(f).add(bytes);
        }
        byte[] a = bytes(f);
        byte[] b = bytes == null ? new byte[0] : bytes;
        for (int block = 0; (long) block * blockSize < Math.max(a.length, b.length); block++) {
            int from = block * blockSize;
            if (!changed[f].get(block) && (Math.min(a.length, from + blockSize) != Math.min(b.length, from + blockSize)
                    || Arrays.mismatch(a, from, Math.min(a.length, from + blockSize), b, from,
                            Math.min(b.length, from + blockSize)) >= 0)) {
                changed[f].set(block);
            }
        }
    }

    /** The engine promised the file durable as it is now. */
    void durable(int f) {
        versions.get(f).clear();
        fingerprints.get(f).clear();
        changed[f].clear();
        versions.get(f).add(content[f]);
        fingerprints.get(f).add(fingerprint(content[f]));
    }

    void allDurable() {
        for (int f = 0; f < content.length; f++) {
            durable(f);
        }
    }

    byte[] version(int f, int i) {
        return versions.get(f).get(i);
    }

    int versions(int f) {
        return versions.get(f).size();
    }

    /** The most versions a file keeps now. */
    int mostVersions() {
        return versions.stream().mapToInt(List::size).max().orElse(0);
    }

    /**
     * The version a power cut may have left as {@code found} (null: no file), where the
     * blocks in {@code lost} could not be read: only blocks changed since the promise may
     * be lost, and every other byte must be the version's; with {@code inPlace} (a NOCOW
     * file, whose overwrites in place are not atomic) each 512-byte sector of a changed
     * block may be that sector of any version since the promise, zeros past its end (a
     * truncate zeroes the tail of its last block in place).
     *
     * @return the index of the version, -1 when there is none
     */
    int match(int f, byte[] found, BitSet lost, boolean inPlace) {
        BitSet outside = (BitSet) lost.clone();
        outside.andNot(changed[f]);
        if (!outside.isEmpty()) {
            return -1;
        }
        List<byte[]> all = versions.get(f);
        for (int i = 0; i < all.size(); i++) {
            byte[] v = all.get(i);
            if (v == null || found == null ? v == found
                    : v.length == found.length && sameOutside(f, v, found, lost, inPlace)) {
                return i;
            }
        }
        return -1;
    }

    private boolean sameOutside(int f, byte[] a, byte[] b, BitSet lost, boolean inPlace) {
        for (int from = 0; from < a.length; from += blockSize) {
            int to = Math.min(a.length, from + blockSize);
            int block = from / blockSize;
            if (lost.get(block) || Arrays.mismatch(a, from, to, b, from, to) < 0) {
                continue;
            }
            if (!inPlace || !changed[f].get(block)) {
                return false;
            }
            for (int sector = from; sector < to; sector += 512) {
                int start = sector;
                int end = Math.min(to, sector + 512);
                if (versions.get(f).stream().noneMatch(v -> v != null && sameSector(v, b, start, end))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether {@code b} holds {@code v}'s bytes in {@code [start, end)}, zeros past {@code v}'s end. */
    private static boolean sameSector(byte[] v, byte[] b, int start, int end) {
        int within = Math.max(start, Math.min(end, v.length));
        if (within > start && Arrays.mismatch(v, start, within, b, start, within) >= 0) {
            return false;
        }
        for (int i = within; i < end; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** After a cut and a mount: the file holds {@code bytes} (null: none), and they are durable. */
    void reset(int f, byte[] bytes) {
        content[f] = bytes;
        durable(f);
    }

    static String fingerprint(byte[] b) {
        if (b == null) {
            return "absent";
        }
        CRC32C crc = new CRC32C();
        crc.update(b);
        return b.length + " bytes, crc32c " + Long.toHexString(crc.getValue()) + "/"
                + Integer.toHexString(Arrays.hashCode(b));
    }

    /** {@code base} with {@code data} written at {@code offset}. */
    static byte[] written(byte[] base, long offset, byte[] data) {
        byte[] out = Arrays.copyOf(base, (int) Math.max(base.length, offset + data.length));
        System.arraycopy(data, 0, out, (int) offset, data.length);
        return out;
    }
}
