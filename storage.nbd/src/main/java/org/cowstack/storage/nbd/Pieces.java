package org.cowstack.storage.nbd;

import java.util.ArrayList;
import java.util.List;

/**
 * Ranges of an export as {offset, length, flags} pieces, in order, neighbours with the
 * same flags merged: what a structured read cuts into data and holes, and what block
 * status answers per meta context before it becomes descriptors.
 */
final class Pieces {
    private Pieces() {
    }

    /** Appends a piece, merged into the last one when it continues it with the same flags. */
    static void add(List<long[]> out, long offset, long length, long flags) {
        long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
        if (last != null && last[2] == flags && last[0] + last[1] == offset) {
            last[1] += length;
        } else {
            out.add(new long[] {offset, length, flags});
        }
    }

    /**
     * {@code [offset, offset + length)} cut by {@code ranges} ({start, length}, sorted, not
     * overlapping): what they cover carries {@code flags}, the rest 0.
     */
    static List<long[]> cover(long offset, long length, List<long[]> ranges, long flags) {
        List<long[]> pieces = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        for (long[] r : ranges) {
            long from = Math.max(pos, r[0]);
            long to = Math.min(end, r[0] + r[1]);
            if (to <= from) {
                continue;
            }
            if (from > pos) {
                add(pieces, pos, from - pos, 0);
            }
            add(pieces, from, to - from, flags);
            pos = to;
        }
        if (pos < end) {
            add(pieces, pos, end - pos, 0);
        }
        return pieces;
    }

    /** Block status descriptors {length, flags}: 32-bit lengths, one only with REQ_ONE. */
    static List<long[]> descriptors(List<long[]> pieces, boolean one) {
        List<long[]> out = new ArrayList<>();
        for (long[] p : pieces) {
            for (long done = 0; done < p[1]; ) {
                long n = Math.min(p[1] - done, 0xFFFF_F000L);
                out.add(new long[] {n, p[2]});
                done += n;
                if (one) {
                    return out;
                }
            }
        }
        return out;
    }
}
