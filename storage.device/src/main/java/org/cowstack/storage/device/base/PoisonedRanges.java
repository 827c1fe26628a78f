package org.cowstack.storage.device.base;

import java.util.ArrayList;
import java.util.List;

/**
 * Byte ranges of a device whose medium is poisoned (persistent memory's uncorrectable
 * lines, injected by a test or a drill): reads that touch one fail until a write covers
 * it. Disjoint; thread-safe.
 */
public final class PoisonedRanges {
    private final List<long[]> ranges = new ArrayList<>();

    /** Poisons {@code [offset, offset + length)}. */
    public synchronized void add(long offset, long length) {
        clear(offset, length);
        ranges.add(new long[] {offset, length});
    }

    /** A write landed on {@code [offset, offset + length)}: the medium holds good data there again. */
    public synchronized void clear(long offset, long length) {
        if (ranges.isEmpty()) {
            return;
        }
        List<long[]> kept = new ArrayList<>();
        for (long[] p : ranges) {
            long end = p[0] + p[1];
            if (end <= offset || offset + length <= p[0]) {
                kept.add(p);
                continue;
            }
            if (p[0] < offset) {
                kept.add(new long[] {p[0], offset - p[0]});
            }
            if (offset + length < end) {
                kept.add(new long[] {offset + length, end - offset - length});
            }
        }
        ranges.clear();
        ranges.addAll(kept);
    }

    /** The first poisoned range that {@code [offset, offset + length)} touches, as {start, length}, or null. */
    public synchronized long[] touched(long offset, long length) {
        for (long[] p : ranges) {
            if (offset < p[0] + p[1] && p[0] < offset + length) {
                return p.clone();
            }
        }
        return null;
    }

    /** No range is poisoned any more. */
    public synchronized void clearAll() {
        ranges.clear();
    }
}
