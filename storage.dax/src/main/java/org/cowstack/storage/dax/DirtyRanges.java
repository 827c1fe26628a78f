package org.cowstack.storage.dax;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Byte ranges written since the last flush, kept merged so that a flush forces each
 * dirty byte once and nothing clean.
 *
 * <p>Thread safety: all methods are synchronized; writers add concurrently.
 */
final class DirtyRanges {
    /** start -> end (exclusive); ranges never overlap or touch. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    synchronized void add(long start, long end) {
        if (start >= end) {
            return;
        }
        Map.Entry<Long, Long> before = ranges.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        Map.Entry<Long, Long> next = ranges.ceilingEntry(start);
        while (next != null && next.getKey() <= end) {
            end = Math.max(end, next.getValue());
            ranges.remove(next.getKey());
            next = ranges.ceilingEntry(start);
        }
        ranges.put(start, end);
    }

    /** The ranges as {start, end} pairs, emptied. */
    synchronized List<long[]> drain() {
        List<long[]> out = new ArrayList<>(ranges.size());
        ranges.forEach((s, e) -> out.add(new long[] {s, e}));
        ranges.clear();
        return out;
    }

    /** A copy of the ranges as {start, end} pairs. */
    synchronized List<long[]> snapshot() {
        List<long[]> out = new ArrayList<>(ranges.size());
        ranges.forEach((s, e) -> out.add(new long[] {s, e}));
        return out;
    }

    synchronized boolean isEmpty() {
        return ranges.isEmpty();
    }
}
