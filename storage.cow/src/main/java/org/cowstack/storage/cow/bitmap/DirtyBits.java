package org.cowstack.storage.cow.bitmap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The bits of one dirty bitmap: one bit per granule of a file, stored sparsely in
 * chunks of {@value #CHUNK_BITS} bits, the unit a bitmap is stored in on disk (a chunk
 * with no bit set is not stored). Chunks changed since {@link #takeChanged()} are
 * remembered, so storing a bitmap writes only what changed.
 *
 * <p>Not thread-safe: its owner serialises access.
 */
public final class DirtyBits {
    /** Bits per chunk: 512 bytes on disk. */
    public static final int CHUNK_BITS = 4096;
    private static final int WORDS = CHUNK_BITS / 64;

    private final TreeMap<Long, long[]> chunks = new TreeMap<>();
    private final TreeSet<Long> changed = new TreeSet<>();
    private long count;

    /** Sets granules {@code [from, to)}; answers how many were clear before. */
    public long set(long from, long to) {
        long added = 0;
        long g = from;
        while (g < to) {
            long chunk = g / CHUNK_BITS;
            long chunkEnd = Math.min(to, (chunk + 1) * CHUNK_BITS);
            long[] words = chunks.computeIfAbsent(chunk, c -> new long[WORDS]);
            for (long b = g; b < chunkEnd; ) {
                int bit = (int) (b - chunk * CHUNK_BITS);
                int word = bit >>> 6;
                int first = bit & 63;
                int last = (int) Math.min(64, first + (chunkEnd - b));
                long mask = (last == 64 ? -1L : (1L << last) - 1) & (-1L << first);
                long before = words[word];
                words[word] = before | mask;
                added += Long.bitCount(mask & ~before);
                b += last - first;
            }
            changed.add(chunk);
            g = chunkEnd;
        }
        count += added;
        return added;
    }

    /** Whether granule {@code g} is set. */
    public boolean get(long g) {
        long[] words = chunks.get(g / CHUNK_BITS);
        if (words == null) {
            return false;
        }
        int bit = (int) (g % CHUNK_BITS);
        return (words[bit >>> 6] & (1L << (bit & 63))) != 0;
    }

    /** Granules set. */
    public long count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** Clears every granule. */
    public void clear() {
        changed.addAll(chunks.keySet());
        chunks.clear();
        count = 0;
    }

    /** Sets every granule {@code other} has set (a merge). */
    public void or(DirtyBits other) {
        for (Map.Entry<Long, long[]> e : other.chunks.entrySet()) {
            long[] mine = chunks.computeIfAbsent(e.getKey(), c -> new long[WORDS]);
            long[] theirs = e.getValue();
            for (int i = 0; i < WORDS; i++) {
                long before = mine[i];
                mine[i] = before | theirs[i];
                count += Long.bitCount(theirs[i] & ~before);
            }
            changed.add(e.getKey());
        }
    }

    /** Clears every granule {@code other} has set. */
    public void andNot(DirtyBits other) {
        for (Map.Entry<Long, long[]> e : other.chunks.entrySet()) {
            long[] mine = chunks.get(e.getKey());
            if (mine == null) {
                continue;
            }
            long[] theirs = e.getValue();
            for (int i = 0; i < WORDS; i++) {
                long cleared = mine[i] & theirs[i];
                count -= Long.bitCount(cleared);
                mine[i] &= ~theirs[i];
            }
            changed.add(e.getKey());
            if (isZero(mine)) {
                chunks.remove(e.getKey());
            }
        }
    }

    /** Makes this a copy of {@code other}'s bits (every chunk of both remembered as changed). */
    public void assign(DirtyBits other) {
        changed.addAll(chunks.keySet());
        chunks.clear();
        other.chunks.forEach((k, v) -> chunks.put(k, v.clone()));
        changed.addAll(chunks.keySet());
        count = other.count;
    }

    /** A copy, with nothing remembered as changed. */
    public DirtyBits copy() {
        DirtyBits c = new DirtyBits();
        chunks.forEach((k, v) -> c.chunks.put(k, v.clone()));
        c.count = count;
        return c;
    }

    /** Clears granules {@code from} and past (a file truncated to fewer granules). */
    public void clearFrom(long from) {
        long chunk = from / CHUNK_BITS;
        NavigableMap<Long, long[]> tail = chunks.tailMap(chunk, true);
        for (Iterator<Map.Entry<Long, long[]>> it = tail.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, long[]> e = it.next();
            long[] words = e.getValue();
            int keep = e.getKey() == chunk ? (int) (from - chunk * CHUNK_BITS) : 0;
            for (int bit = keep; bit < CHUNK_BITS; bit++) {
                long m = 1L << (bit & 63);
                if ((words[bit >>> 6] & m) != 0) {
                    words[bit >>> 6] &= ~m;
                    count--;
                }
            }
            changed.add(e.getKey());
            if (isZero(words)) {
                it.remove();
            }
        }
    }

    private static boolean isZero(long[] words) {
        for (long w : words) {
            if (w != 0) {
                return false;
            }
        }
        return true;
    }

    /** The runs of set granules, {start, length} in granules, in order. */
    public List<long[]> runs() {
        List<long[]> out = new ArrayList<>();
        long start = -1;
        long end = -1;
        for (Map.Entry<Long, long[]> e : chunks.entrySet()) {
            long base = e.getKey() * CHUNK_BITS;
            long[] words = e.getValue();
            for (int w = 0; w < WORDS; w++) {
                long bits = words[w];
                while (bits != 0) {
                    int bit = Long.numberOfTrailingZeros(bits);
                    long g = base + w * 64L + bit;
                    if (g == end) {
                        end++;
                    } else {
                        if (start >= 0) {
                            out.add(new long[] {start, end - start});
                        }
                        start = g;
                        end = g + 1;
                    }
                    bits &= bits - 1;
                }
            }
        }
        if (start >= 0) {
            out.add(new long[] {start, end - start});
        }
        return out;
    }

    /** Whether a chunk changed since {@link #takeChanged()}. */
    public boolean hasChanged() {
        return !changed.isEmpty();
    }

    /** The chunks changed since the last call (their index), and forgets them: what a store writes. */
    public List<Long> takeChanged() {
        List<Long> out = new ArrayList<>(changed);
        changed.clear();
        return out;
    }

    /** Marks every chunk as changed: the next store writes them all (a bitmap stored afresh). */
    public void markAllChanged() {
        changed.addAll(chunks.keySet());
    }

    /** The stored form of chunk {@code index}: {@value #CHUNK_BITS} / 8 bytes, little-endian words; null when empty. */
    public byte[] encodeChunk(long index) {
        long[] words = chunks.get(index);
        if (words == null) {
            return null;
        }
        byte[] out = new byte[WORDS * 8];
        java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(words);
        return out;
    }

    /** Loads a stored chunk (at mount). */
    public void loadChunk(long index, byte[] stored) {
        if (stored.length != WORDS * 8) {
            throw new IllegalArgumentException("a bitmap chunk of " + stored.length + " bytes (expected "
                    + WORDS * 8 + ")");
        }
        long[] words = new long[WORDS];
        java.nio.ByteBuffer.wrap(stored).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(words);
        long[] old = chunks.put(index, words);
        if (old != null) {
            for (long w : old) {
                count -= Long.bitCount(w);
            }
        }
        for (long w : words) {
            count += Long.bitCount(w);
        }
        if (isZero(words)) {
            chunks.remove(index);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DirtyBits d) || d.count != count || !d.chunks.keySet().equals(chunks.keySet())) {
            return false;
        }
        for (Map.Entry<Long, long[]> e : chunks.entrySet()) {
            if (!Arrays.equals(e.getValue(), d.chunks.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(count) * 31 + chunks.keySet().hashCode();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[");
        for (long[] r : runs()) {
            if (s.length() > 1) {
                s.append(", ");
            }
            s.append(r[0]).append('+').append(r[1]);
        }
        return s.append(']').toString();
    }
}
