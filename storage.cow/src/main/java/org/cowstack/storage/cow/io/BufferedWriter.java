package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.SourceFaultException;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.core.CommitParticipant;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.space.Reservations;

/**
 * Buffered writes: data is copied into the page cache and waits there, with a block
 * reserved for every page that may copy on write (delayed allocation), until a commit
 * or writeback places it. Also the zeroing of partial blocks that truncate, punch and
 * zero range need at their edges.
 */
public final class BufferedWriter {
    /**
     * Dirty blocks right before a write that make it part of a sequential stream, whose
     * dirty pages are then written behind it: 4 MiB at 4 KiB blocks, a writeback of a
     * few device writes, rare enough that its metadata work stays small.
     */
    private static final int STREAM = 1024;

    private final VolumeCore core;
    private final ReadPath reads;
    private final Placements placements;
    private final Reservations reservations;
    private final Committer committer;
    private final DataCopies copies;
    private final int blockSize;

    public BufferedWriter(VolumeCore core, ReadPath reads, Placements placements, Reservations reservations,
            Committer committer, DataCopies copies) {
        this.core = core;
        this.reads = reads;
        this.placements = placements;
        this.reservations = reservations;
        this.committer = committer;
        this.copies = copies;
        this.blockSize = core.blockSize;
        core.participants.add(new CommitParticipant() {
            @Override
            public void beforeCommit() throws IOException {
                core.inodes.storePending(); // sizes and times buffered writes left in memory
                reservations.committed();
            }

            @Override
            public boolean pending() {
                return core.inodes.hasPending();
            }
        });
    }

    /**
     * {@code FileHandle.write}: copies {@code src} into the cache at {@code offset}. A
     * source that faults part-way leaves the blocks copied before it (a prefix) and fails
     * with {@link SourceFaultException} saying how many bytes (DESIGN P3).
     */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public int write(long ino, String path, ByteBuffer src, long offset) throws IOException {
        core.checkWritable();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        int length = src.remaining();
        if (length == 0) {
            return 0;
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new InvalidArgumentException("offset", offset, "an offset such that the write ends below 2^63");
        }
        if (core.cache.dirtyPages() > core.cache.dirtyLimit()) {
            // Write back before accepting more than the cache holds, not after: a write that
            // was accepted must not then report a failure of that writeback (SuspendedException
            // while the allocation policy is away) as its own.
            committer.writeBackDirtyPages();
        } else {
            long first = offset / blockSize;
            if (first >= STREAM && core.cache.dirtyPagesOf(ino, first - STREAM, first) == STREAM) {
                // A sequential stream: what it wrote before this write goes to the device now,
                // while those bytes are still in the processor's caches, and its pages are
                // reused for what follows instead of cycling through the whole cache (unless a
                // commit is placing pages: the write does not wait for it).
                committer.writeBehind(ino, first);
            }
        }
        int srcBase = src.position();
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            long first = offset / blockSize;
            long last = (offset + length - 1) / blockSize;
            long size = sizeOf(ino, path);
            int count = (int) (last - first + 1);
            // Blocks that will be overwritten in place need no space; every other one that is
            // not dirty yet gets its block promised now, so the flush cannot run out. While a
            // commit holds the tree the layout is not looked at: every block not dirty is
            // promised one, which writeback gives back for those it puts in place.
            Placements.Placement where = null;
            boolean guessed = false;
            if (core.cache.dirtyPagesOf(ino, first, last + 1) < count) {
                Boolean candidates = inPlaceCandidates(ino, path, first, count);
                if (candidates == null) {
                    guessed = true;
                } else if (candidates) {
                    where = placements.forWrite(ino, path, first, count);
                }
            }
            boolean[] inPlace = where == null ? null : where.inPlace();
            long needed = needed(ino, first, last, inPlace);
            try {
                reservations.reserve(needed);
            } catch (NoSpaceException e) {
                if (!guessed) {
                    throw e;
                }
                // Too many promised, maybe: the blocks that go in place need none. Look, then.
                where = placements.forWrite(ino, path, first, count);
                inPlace = where == null ? null : where.inPlace();
                needed = needed(ino, first, last, inPlace);
                reservations.reserve(needed);
            }
            long dirtied = 0;
            CallerBuffer caller = new CallerBuffer(src, blockSize, copies);
            CallerBuffer.Fault fault = null;
            int srcAt = 0;
            for (long b = first; b <= last; b++) {
                int from = b == first ? (int) (offset % blockSize) : 0;
                int to = b == last ? (int) ((offset + length - 1) % blockSize) + 1 : blockSize;
                byte[] base = null;
                if ((from > 0 || to < blockSize) && !core.cache.isCached(ino, b) && b * blockSize < size) {
                    base = reads.readBlockForUpdate(ino, path, b);
                }
                boolean reserve = inPlace == null || !inPlace[(int) (b - first)];
                boolean newlyDirty;
                try {
                    newlyDirty = to - from == blockSize ? wholeBlock(caller, ino, b, srcAt, reserve)
                            : partOfBlock(caller, ino, b, from, to, srcAt, base, reserve);
                } catch (CallerBuffer.Fault f) {
                    fault = f; // the blocks before this one are the prefix written
                    break;
                }
                if (newlyDirty && reserve) {
                    dirtied++;
                }
                copies.intoCache(to - from);
                srcAt += to - from;
            }
            reservations.settle(needed, dirtied);
            long written = srcAt;
            if (written > 0) {
                // In memory, not in the tree: no commit holds this write up (see Inodes.grow).
                long grown = Math.max(size, offset + written);
                core.inodes.grow(ino, grown, VolumeCore.now());
                core.changes.resized(ino, size, grown); // a gap before the data reads as zeros now
                core.changes.contentChanged(ino, offset, written);
            }
            if (fault != null) {
                src.position(srcBase + srcAt);
                throw new SourceFaultException(path, offset, written, fault.getCause());
            }
        }
        src.position(src.limit());
        return length;
    }

    /**
     * The file's size, from memory once it has been written through the cache, so that a
     * write does not wait for a commit that holds the tree. The file's lock is held.
     */
    private long sizeOf(long ino, String path) throws IOException {
        core.checkUsable();
        long size = core.inodes.pendingSize(ino);
        if (size >= 0) {
            return size;
        }
        return core.treeLock.reading(() -> core.inodes.enter(ino, core.inodes.getOrThrow(ino, path)));
    }

    /**
     * Whether a block of the range may be overwritten in place (a NOCOW file, or a
     * preallocated extent), as {@link Placements#forWrite} asks first; null when a
     * commit holds the tree, which this write does not wait for.
     */
    private Boolean inPlaceCandidates(long ino, String path, long first, int count) throws IOException {
        Lock shared = core.treeLock.shared();
        if (!shared.tryLock()) {
            return null;
        }
        try {
            return core.treeLock.reading(() -> {
                boolean nocow = core.inodes.getOrThrow(ino, path).has(InodeItem.NOCOW);
                for (Extents.Mapping m : core.extents.overlapping(ino, first, first + count)) {
                    if (nocow || m.extent().unwritten()) {
                        return true;
                    }
                }
                return false;
            });
        } finally {
            shared.unlock();
        }
    }

    /** Blocks of {@code [first, last]} that need a block promised: neither dirty nor going in place. */
    private long needed(long ino, long first, long last, boolean[] inPlace) {
        if (inPlace == null) {
            return last - first + 1 - core.cache.dirtyPagesOf(ino, first, last + 1);
        }
        long needed = 0;
        for (long b = first; b <= last; b++) {
            if (!core.cache.isDirty(ino, b) && (inPlace == null || !inPlace[(int) (b - first)])) {
                needed++;
            }
        }
        return needed;
    }

    /**
     * A whole block from the caller into its page: copied once, straight from the
     * caller's memory, even when that memory may fault (the cache copies it into a free
     * array first, so a fault changes nothing).
     */
    private boolean wholeBlock(CallerBuffer caller, long ino, long block, int srcAt, boolean reserve)
            throws CallerBuffer.Fault {
        try {
            return core.cache.writeBlock(ino, block, caller.data(), srcAt, reserve);
        } catch (InternalError e) {
            throw new CallerBuffer.Fault(srcAt / blockSize, e);
        }
    }

    /** Part of a block: through a staging block when the caller's memory may fault. */
    private boolean partOfBlock(CallerBuffer caller, long ino, long block, int from, int to, int srcAt, byte[] base,
            boolean reserve) throws CallerBuffer.Fault {
        ByteBuffer piece = caller.read(srcAt, to - from);
        return core.cache.write(ino, block, from, piece, piece.position(), to - from, base, reserve);
    }

    /** True when the file block is cached or mapped to written data (not a hole, not preallocated). */
    private boolean holdsData(long ino, long block) throws IOException {
        if (core.cache.isCached(ino, block)) {
            return true;
        }
        return core.treeLock.reading(() -> core.extents.overlapping(ino, block, block + 1).stream()
                .anyMatch(m -> !m.extent().unwritten()));
    }

    /**
     * Makes bytes {@code [from, to)} of a file block read as zeros when it holds data:
     * the edges of a truncate, punch or zero range. Never fails for lack of space (a
     * block may come from the metadata reserve): shrinking must always be possible.
     * The file's lock is held.
     */
    public void zeroInBlock(long ino, String path, long block, int from, int to) throws IOException {
        if (from >= to || !holdsData(ino, block)) {
            return;
        }
        byte[] base = core.cache.isCached(ino, block) ? null : reads.readBlockForUpdate(ino, path, block);
        boolean needs = !core.cache.isDirty(ino, block);
        if (needs) {
            core.space.reserveAnyway(1);
        }
        boolean dirtied = core.cache.write(ino, block, from, ByteBuffer.wrap(new byte[to - from]), 0, to - from, base,
                true);
        reservations.settle(needs ? 1 : 0, dirtied ? 1 : 0);
        core.changes.contentChanged(ino, block * blockSize + from, to - from);
    }
}
