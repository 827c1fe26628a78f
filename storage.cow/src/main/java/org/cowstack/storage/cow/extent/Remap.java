package org.cowstack.storage.cow.extent;

import java.io.IOException;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.io.Committer;
import org.cowstack.storage.cow.io.Placements;
import org.cowstack.storage.cow.meta.Extents;

/**
 * Clone (FICLONERANGE) and dedupe (FIDEDUPERANGE): ranges of two files of one volume
 * made to share their physical blocks, metadata only. Sharing is counted per block
 * (DESIGN P2), so exactly the blocks remapped become shared.
 *
 * <p>Pages of either range not yet written back are written back first, and only
 * those: the pages of that range get their blocks in the running transaction, with no
 * commit and no flush of the rest of the file (Linux writes the source range back
 * before it remaps; btrfs flushes the whole file). The blocks are then shared block for
 * block.
 */
public final class Remap {
    /** Longest dedupe request honoured at once, as the kernel's: longer ones are shortened. */
    public static final long MAX_DEDUPE_BYTES = 16L << 20;

    private final VolumeCore core;
    private final RangeCompare compare;
    private final Placements placements;
    private final Committer committer;
    private final RemapChecks checks;
    private final int blockSize;

    public Remap(VolumeCore core, BlockIo io, Placements placements, Committer committer) {
        this.core = core;
        this.compare = new RangeCompare(core, io);
        this.placements = placements;
        this.committer = committer;
        this.checks = new RemapChecks(core.blockSize);
        this.blockSize = core.blockSize;
    }

    /**
     * FICLONERANGE: maps the source range's blocks into the destination and counts a
     * reference more for each; metadata only. Preallocated source blocks become holes
     * in the destination (as XFS does), so preallocation stays private to its file and
     * its later writes go in place. The files are open files of this volume (the caller
     * checked); {@code src == dst} for one file.
     *
     * @return the bytes cloned
     */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public long cloneRange(long dst, String dstPath, long src, String srcPath, long srcOff, long dstOff,
            long length) throws IOException {
        core.checkWritable();
        RemapChecks.checkNotNegative("clone range", srcOff, dstOff, length);
        try (FileLocks.Held held = core.fileLocks.lock(src, dst)) {
            long sizeIn = core.size(src, srcPath);
            long sizeOut = core.size(dst, dstPath);
            long len = length;
            if (len == 0) {
                if (srcOff > sizeIn) {
                    throw new InvalidArgumentException("clone range source offset", srcOff,
                            "at most the source's size " + sizeIn);
                }
                len = sizeIn - srcOff;
                if (len == 0) {
                    return 0;
                }
            }
            RemapChecks.Range range = checks.check("clone range", src, srcOff, dst, dstOff, len, sizeIn, sizeOut,
                    false);
            long n = range.blocks();
            long sFirst = srcOff / blockSize;
            long dFirst = dstOff / blockSize;
            long cloned = range.length();
            core.commitLock.lock(); // no commit between the writeback and the mapping
            try {
                committer.writeBackRange(src, sFirst, sFirst + n);
                core.treeLock.changing(() -> {
                    var from = core.extents.within(src, sFirst, sFirst + n);
                    core.space.unreserve(core.cache.drop(dst, dFirst, dFirst + n));
                    long allocated = -core.extents.remove(dst, dFirst, dFirst + n);
                    for (Extents.Mapping m : from) {
                        if (m.extent().unwritten()) {
                            continue;
                        }
                        ExtentItem piece = m.extent();
                        core.ledger.addExtent(piece, +1);
                        allocated += core.extents.replace(dst, dFirst + (m.fileBlock() - sFirst), piece);
                    }
                    InodeItem inode = core.inodes.getOrThrow(dst, dstPath);
                    long size = Math.max(inode.size(), dstOff + cloned);
                    core.inodes.put(dst, inode.withSize(size, VolumeCore.now())
                            .withAllocated(inode.allocated() + allocated));
                    core.changes.resized(dst, inode.size(), size);
                });
                core.changes.contentChanged(dst, dstOff, cloned);
            } finally {
                core.commitLock.unlock();
            }
            return cloned;
        }
    }

    /**
     * FIDEDUPERANGE: compares the ranges and, only when every byte is equal, maps the
     * destination's data blocks to the source's. Both files' locks and the commit lock
     * are held throughout, so no write lands between the comparison and the remap.
     * Holes and preallocated blocks on either side are left as they are: equal, but
     * never turned into shared data.
     */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public DedupeResult dedupeRange(long dst, String dstPath, long src, String srcPath, long srcOff, long dstOff,
            long length) throws IOException {
        core.checkWritable();
        RemapChecks.checkNotNegative("dedupe range", srcOff, dstOff, length);
        if (length == 0) {
            return new DedupeResult(0, false);
        }
        long requested = Math.min(length, MAX_DEDUPE_BYTES);
        try (FileLocks.Held held = core.fileLocks.lock(src, dst)) {
            long sizeIn = core.size(src, srcPath);
            long sizeOut = core.size(dst, dstPath);
            RemapChecks.Range range = checks.check("dedupe range", src, srcOff, dst, dstOff, requested, sizeIn,
                    sizeOut, true);
            if (range.length() == 0) {
                return new DedupeResult(0, false);
            }
            long n = range.blocks();
            long sFirst = srcOff / blockSize;
            long dFirst = dstOff / blockSize;
            core.commitLock.lock();
            try {
                // Compare and share what is on disk: the ranges' own pages written back, no more.
                committer.writeBackRange(src, sFirst, sFirst + n);
                committer.writeBackRange(dst, dFirst, dFirst + n);
                if (!compare.equal(src, srcPath, sFirst, dst, dstPath, dFirst, n, range.length())) {
                    return new DedupeResult(0, true);
                }
                return new DedupeResult(share(src, sFirst, dst, dFirst, (int) n, range.length()), false);
            } finally {
                core.commitLock.unlock();
            }
        }
    }

    /** Maps the destination's data blocks to the source's; answers the bytes now shared. */
    private long share(long src, long sFirst, long dst, long dFirst, int n, long length) throws IOException {
        return core.treeLock.changing(() -> {
            Placements.Placement from = placements.layout(src, sFirst, n);
            Placements.Placement to = placements.layout(dst, dFirst, n);
            long bytes = 0;
            int k = 0;
            while (k < n) {
                int j = k;
                while (j < n && from.isData(j) && to.isData(j) && (j == k || from.continues(j))) {
                    bytes += Math.min(blockSize, length - (long) j * blockSize);
                    j++;
                }
                if (j == k) {
                    k++;
                    continue;
                }
                ExtentItem piece = from.piece(k, j);
                boolean same = true;
                for (int x = k; x < j; x++) {
                    same &= from.physical()[x] == to.physical()[x];
                }
                if (!same) {
                    core.ledger.addExtent(piece, +1);
                    core.extents.replace(dst, dFirst + k, piece);
                }
                k = j;
            }
            return bytes;
        });
    }
}
