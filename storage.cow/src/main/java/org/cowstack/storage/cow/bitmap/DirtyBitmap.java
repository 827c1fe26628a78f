package org.cowstack.storage.cow.bitmap;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.api.bitmap.BitmapInfo;
import org.cowstack.storage.api.bitmap.BitmapMode;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.cow.format.BitmapItem;

/**
 * One dirty bitmap of a file, in memory: its stored identity and flags, its bits, and
 * what a backup in progress needs (busy, the bits recorded since it started). Guarded by
 * the {@link Bitmaps} that holds it.
 */
final class DirtyBitmap {
    final long inode;
    BitmapItem item;
    final boolean persistent;
    final DirtyBits bits = new DirtyBits();
    /** The item changed since it was last stored (or was never stored). */
    boolean itemChanged;
    /** A backup from it is running. */
    boolean busy;
    /** During a backup: what writes set since it started. */
    DirtyBits successor;

    DirtyBitmap(long inode, BitmapItem item, boolean persistent) {
        this.inode = inode;
        this.item = item;
        this.persistent = persistent;
    }

    String name() {
        return item.name();
    }

    long granularity() {
        return 1L << item.granularityShift();
    }

    boolean recording() {
        return item.has(BitmapItem.RECORDING);
    }

    boolean inconsistent() {
        return item.has(BitmapItem.INCONSISTENT);
    }

    BitmapMode mode() {
        return item.has(BitmapItem.QEMU) ? BitmapMode.QEMU : BitmapMode.TRANSACTIONAL;
    }

    /** Whether its bits are stored with every commit (persistent and transactional). */
    boolean transactional() {
        return persistent && mode() == BitmapMode.TRANSACTIONAL;
    }

    void flags(int set, int clear) {
        int flags = (item.flags() | set) & ~clear;
        if (flags != item.flags()) {
            item = item.withFlags(flags);
            itemChanged = true;
        }
    }

    /** Bytes {@code [offset, offset + length)} of the file changed: their granules are set, if it records. */
    void mark(long offset, long length) {
        if (length <= 0 || !recording() || inconsistent()) {
            return;
        }
        int shift = item.granularityShift();
        long from = offset >>> shift;
        long to = (offset + length - 1 >>> shift) + 1;
        bits.set(from, to);
        if (successor != null) {
            successor.set(from, to);
        }
    }

    /** The set granules as byte ranges, clipped to {@code size} when it is not negative. */
    List<DirtyRange> ranges(DirtyBits of, long size) {
        List<DirtyRange> out = new ArrayList<>();
        int shift = item.granularityShift();
        for (long[] run : of.runs()) {
            long start = run[0] << shift;
            long end = run[0] + run[1] << shift;
            if (size >= 0) {
                end = Math.min(end, size);
            }
            if (start < end) {
                out.add(new DirtyRange(start, end - start));
            }
        }
        return out;
    }

    BitmapInfo info(boolean volumeReadOnly) {
        Set<BitmapInfo.State> states = EnumSet.noneOf(BitmapInfo.State.class);
        if (recording()) {
            states.add(BitmapInfo.State.RECORDING);
        }
        if (busy) {
            states.add(BitmapInfo.State.BUSY);
        }
        if (persistent) {
            states.add(BitmapInfo.State.PERSISTENT);
        }
        if (inconsistent()) {
            states.add(BitmapInfo.State.INCONSISTENT);
        }
        if (volumeReadOnly) {
            states.add(BitmapInfo.State.READONLY);
        }
        return new BitmapInfo(name(), granularity(), bits.count() << item.granularityShift(), mode(), states);
    }
}
