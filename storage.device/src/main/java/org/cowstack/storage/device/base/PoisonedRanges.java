package org.cowstack.storage.device.base;

import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.device.MediaErrors;

/**
 * Byte ranges of a device whose medium is poisoned (persistent memory's uncorrectable
 * lines, injected by a test or a drill): reads that touch one fail until a write covers
 * it. Disjoint; thread-safe.
 */
public final class PoisonedRanges {
    private final List<long[]> ranges = new ArrayList<>();
    private volatile MediaErrors.Listener listener;

    /** Where a poisoned range is told ({@link MediaErrors#onMediaError}); null: nowhere. */
    public void listen(MediaErrors.Listener l) {
        this.listener = l;
    }

    /** Poisons {@code [offset, offset + length)} and tells the listener at once, as a machine check tells the file system. */
    public void poison(long offset, long length) {
        add(offset, length);
        MediaErrors.Listener l = listener;
        if (l != null) {
            l.mediaError(offset, length);
        }
    }

    /** Fails a read of {@code [offset, offset + length)} of {@code device} that touches a poisoned range. */
    public void checkRead(String device, long offset, long length) throws MediaErrorException {
        long[] p = touched(offset, length);
        if (p != null) {
            throw new MediaErrorException(device, offset, length, "poisoned at " + p[0] + "+" + p[1]);
        }
    }

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
