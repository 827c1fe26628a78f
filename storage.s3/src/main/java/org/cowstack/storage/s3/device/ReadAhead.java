package org.cowstack.storage.s3.device;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Finds the sequential streams among a device's reads, as the kernel's readahead does
 * for a file: a read that starts where an earlier one ended continues that stream, and
 * its read-ahead window (in objects) starts at 1 and doubles at each such read, up to
 * {@code max}. A read that starts anywhere else begins a new stream with no window, so
 * random reads never read ahead. A few streams are followed at once (several sequential
 * readers of one device); the least recently continued one is forgotten first.
 *
 * <p>Not thread-safe: the device's lock guards it.
 */
final class ReadAhead {
    /** Streams followed at once. */
    static final int STREAMS = 8;
    private final int max;
    /** Where each stream's last read ended, to its window; least recently continued first. */
    private final Map<Long, Integer> ends = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Integer> eldest) {
            return size() > STREAMS;
        }
    };

    /** {@code max}: the largest window in objects; 0 turns read-ahead off. */
    ReadAhead(int max) {
        this.max = Math.max(0, max);
    }

    /** The window for a read of {@code [offset, offset + length)}: 0 unless it continues a stream. */
    int next(long offset, long length) {
        Integer window = ends.remove(offset);
        int w = window == null || max == 0 ? 0 : Math.min(max, Math.max(1, window * 2));
        ends.put(offset + length, w);
        return w;
    }
}
