package org.cowstack.storage.cow.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.RefRun;
import org.cowstack.storage.cow.io.BufferedWriter;
import org.cowstack.storage.cow.io.ReadPath;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.space.Reservations;

/**
 * Range operations on one file: fallocate in every mode (preallocate, keep size, punch
 * hole, zero range, unshare) and truncate. Each holds the file's lock, reserves what it
 * may need before it changes anything (a full volume refuses instead of half doing it)
 * and never needs space to shrink.
 */
public final class Fallocate {
    private final VolumeCore core;
    private final ReadPath reads;
    private final BufferedWriter buffered;
    private final Reservations reservations;
    private final int blockSize;

    public Fallocate(VolumeCore core, ReadPath reads, BufferedWriter buffered, Reservations reservations) {
        this.core = core;
        this.reads = reads;
        this.buffered = buffered;
        this.reservations = reservations;
        this.blockSize = core.blockSize;
    }

    /** {@code FileHandle.fallocate}. */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public void fallocate(long ino, String path, FallocateMode mode, long offset, long length) throws IOException {
        core.checkWritable();
        if (offset < 0) {
            throw new InvalidArgumentException("fallocate offset", offset, ">= 0");
        }
        if (length <= 0) {
            throw new InvalidArgumentException("fallocate length", length, "> 0");
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new InvalidArgumentException("fallocate length", length, "a range that ends below 2^63");
        }
        long end = offset + length;
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            long size = core.size(ino, path);
            switch (mode) {
                case ALLOCATE:
                case ALLOCATE_KEEP_SIZE:
                    preallocate(ino, path, offset / blockSize, core.blocksCovering(end), 0);
                    break;
                case PUNCH_HOLE:
                    punch(ino, path, offset, end, size);
                    break;
                case ZERO_RANGE:
                case ZERO_RANGE_KEEP_SIZE: {
                    // The whole blocks get fresh preallocated ones: promised before anything
                    // changes, so a full volume refuses the request instead of half doing it.
                    long full = Math.max(0, end / blockSize - core.blocksCovering(offset));
                    reservations.reserve(full);
                    punch(ino, path, offset, end, size);
                    preallocate(ino, path, core.blocksCovering(offset), end / blockSize, full);
                    break;
                }
                case UNSHARE:
                    unshare(ino, path, offset / blockSize, core.blocksCovering(Math.min(end, size)));
                    break;
                default:
                    throw new NotSupportedException("fallocate mode " + mode);
            }
            boolean grows = mode == FallocateMode.ALLOCATE || mode == FallocateMode.ZERO_RANGE;
            long grown = core.treeLock.changing(() -> {
                InodeItem inode = core.inodes.getOrThrow(ino, path);
                long newSize = grows ? Math.max(inode.size(), end) : inode.size();
                core.inodes.put(ino, inode.withSize(newSize, VolumeCore.now()));
                return newSize;
            });
            core.changes.resized(ino, size, grown);
        }
    }

    /** {@code FileHandle.truncate}: the blocks past the new end are unmapped, the bytes past it in its last block zeroed. */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public void truncate(long ino, String path, long size) throws IOException {
        core.checkWritable();
        if (size < 0) {
            throw new InvalidArgumentException("size", size, ">= 0");
        }
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            long old = core.size(ino, path);
            long keep = core.blocksCovering(size);
            if (size < old && size % blockSize != 0) {
                // The bytes past the new end of the last block must read as zeros if the
                // file grows again.
                buffered.zeroInBlock(ino, path, size / blockSize, (int) (size % blockSize), blockSize);
            }
            core.treeLock.changing(() -> {
                InodeItem inode = core.inodes.getOrThrow(ino, path);
                long removed = 0;
                if (size < old) {
                    core.space.unreserve(core.cache.drop(ino, keep, Long.MAX_VALUE));
                    removed = core.extents.remove(ino, keep, Long.MAX_VALUE);
                }
                core.inodes.put(ino, inode.withSize(size, VolumeCore.now()).withAllocated(inode.allocated() - removed));
            });
            if (size < old) {
                core.changes.contentChanged(ino, size, old - size);
            }
            core.changes.resized(ino, old, size);
        }
    }

    /**
     * Gives the holes of file blocks {@code [first, last)} preallocated (unwritten) blocks,
     * which read as zeros and are written in place later. Blocks already mapped, and
     * dirty pages over holes (they hold a reservation already), are left alone.
     *
     * @param reserved blocks the caller has reserved for this already
     */
    private void preallocate(long ino, String path, long first, long last, long reserved) throws IOException {
        List<long[]> holes = core.treeLock.reading(() -> holes(ino, first, last));
        long needed = holes.stream().mapToLong(h -> h[1]).sum();
        if (needed > reserved) {
            reservations.reserve(needed - reserved);
        } else {
            core.space.unreserve(reserved - needed);
        }
        if (needed == 0) {
            return;
        }
        core.treeLock.changing(() -> {
            long allocated = 0;
            for (long[] hole : holes) {
                long done = 0;
                while (done < hole[1]) {
                    long at = hole[0] + done;
                    Extent e = core.allocator.contiguous(hole[1] - done, core.extents.hint(ino, at));
                    Extent m = core.allocator.mirrorOf(e, true);
                    ExtentItem item = new ExtentItem(e.start(), m == null ? e.length() : m.length(),
                            ExtentItem.UNWRITTEN, m == null ? 0 : m.start());
                    core.ledger.addExtent(item, +1);
                    allocated += core.extents.replace(ino, at, item);
                    done += item.blocks();
                }
            }
            InodeItem inode = core.inodes.getOrThrow(ino, path);
            core.inodes.put(ino, inode.withAllocated(inode.allocated() + allocated));
        });
    }

    /** Runs {start, length} of file blocks in {@code [first, last)} that are neither mapped nor dirty. Tree lock held. */
    private List<long[]> holes(long ino, long first, long last) throws IOException {
        List<long[]> out = new ArrayList<>();
        long pos = first;
        for (Extents.Mapping m : core.extents.within(ino, first, last)) {
            addCleanRuns(out, ino, pos, m.fileBlock());
            pos = m.fileEnd();
        }
        addCleanRuns(out, ino, pos, last);
        return out;
    }

    /** Adds the runs of {@code [from, to)} whose pages are not dirty. */
    private void addCleanRuns(List<long[]> out, long ino, long from, long to) {
        long b = from;
        while (b < to) {
            if (core.cache.isDirty(ino, b)) {
                b++;
                continue;
            }
            long runEnd = b + 1;
            while (runEnd < to && !core.cache.isDirty(ino, runEnd)) {
                runEnd++;
            }
            out.add(new long[] {b, runEnd - b});
            b = runEnd;
        }
    }

    /**
     * Makes {@code [offset, end)} read as zeros: the partial blocks at its edges are
     * zeroed, the whole blocks between unmapped (their references dropped). The size does
     * not change. The file's lock is held.
     */
    private void punch(long ino, String path, long offset, long end, long size) throws IOException {
        long head = offset / blockSize;
        long tail = end / blockSize;
        zeroPart(ino, path, head, offset, end, size);
        if (tail != head) {
            zeroPart(ino, path, tail, offset, end, size);
        }
        long firstFull = core.blocksCovering(offset);
        if (firstFull < tail) {
            core.treeLock.changing(() -> {
                core.space.unreserve(core.cache.drop(ino, firstFull, tail));
                long removed = core.extents.remove(ino, firstFull, tail);
                InodeItem inode = core.inodes.getOrThrow(ino, path);
                core.inodes.put(ino, inode.withAllocated(inode.allocated() - removed).touched(VolumeCore.now()));
            });
        }
        core.changes.contentChanged(ino, offset, Math.min(end, size) - offset);
    }

    /** Zeroes the part of {@code [offset, end)} below {@code size} in block {@code block}, unless it covers the block. */
    private void zeroPart(long ino, String path, long block, long offset, long end, long size) throws IOException {
        long blockStart = block * blockSize;
        long from = Math.max(offset, blockStart);
        long to = Math.min(Math.min(end, size), blockStart + blockSize);
        boolean whole = offset <= blockStart && end >= blockStart + blockSize;
        if (!whole && from < to) {
            buffered.zeroInBlock(ino, path, block, (int) (from - blockStart), (int) (to - blockStart));
        }
    }

    /**
     * Gives file blocks {@code [first, last)} private copies of every block they share:
     * each becomes a dirty page with a reserved block, so the next commit copies it.
     */
    private void unshare(long ino, String path, long first, long last) throws IOException {
        if (first >= last) {
            return;
        }
        List<Long> shared = core.treeLock.changing(() -> {
            core.refCounts.apply(core.ledger);
            List<Long> out = new ArrayList<>();
            for (Extents.Mapping m : core.extents.within(ino, first, last)) {
                if (m.extent().unwritten()) {
                    continue; // never shared: clones map preallocated blocks as holes
                }
                for (RefRun run : core.refCounts.runs(m.extent().physical(), m.extent().blocks())) {
                    if (!run.shared()) {
                        continue;
                    }
                    for (long b = 0; b < run.blocks(); b++) {
                        long fileBlock = m.fileBlock() + (run.start() - m.extent().physical()) + b;
                        if (!core.cache.isDirty(ino, fileBlock)) {
                            out.add(fileBlock);
                        }
                    }
                }
            }
            return out;
        });
        reservations.reserve(shared.size());
        long dirtied = 0;
        for (long b : shared) {
            byte[] data = reads.readBlockForUpdate(ino, path, b);
            if (core.cache.write(ino, b, 0, ByteBuffer.wrap(data), 0, blockSize, null, true)) {
                dirtied++;
            }
        }
        reservations.settle(shared.size(), dirtied);
    }
}
