package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.cow.cache.PageCache;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;

/**
 * Gives dirty pages their blocks, in the running transaction: a page whose block may be
 * overwritten in place (see {@link Placements}) keeps it, its checksum is replaced and
 * a preallocated extent becomes written; every other page is copied on write:
 * allocated (consuming its reservation), mapped, checksummed, referenced. The data goes
 * into write buffers, for whoever writes the batch (a commit, or writeback without one).
 */
final class Writeback {
    /**
     * Bytes per device write of file data: 1 MiB. The data was just copied into the
     * buffer, so a buffer that fits the processor's second-level cache is read back
     * from there by the host's copy into its page cache; 4 MiB writes measured two to
     * three times the host CPU per byte on the 2-core benchmark machine.
     */
    private static final int WRITE_BUFFER_BYTES = 1 << 20;
    /**
     * Write buffers, reused from writeback to writeback: allocating direct memory zeroes
     * it, which cost more than the writes themselves. At most {@link #pooledBuffers} are
     * kept. Guarded by itself: writebacks place one at a time (the commit lock) but give
     * their buffers back after writing, without it.
     */
    private final ArrayDeque<ByteBuffer> writeBuffers = new ArrayDeque<>();
    /**
     * Buffers kept: what one writeback at the cache's dirty limit fills (32 MiB for the
     * default 64 MiB cache), so the direct memory kept is bounded by the cache size.
     */
    private final int pooledBuffers;

    private final VolumeCore core;
    private final BlockIo io;
    private final Placements placements;
    private final DataCopies copies;
    private final int blockSize;
    /** Blocks per write buffer: {@link #WRITE_BUFFER_BYTES}, at least one block. */
    private final int bufferBlocks;

    Writeback(VolumeCore core, BlockIo io, Placements placements, DataCopies copies) {
        this.core = core;
        this.io = io;
        this.placements = placements;
        this.copies = copies;
        this.blockSize = core.blockSize;
        this.bufferBlocks = Math.max(1, WRITE_BUFFER_BYTES / blockSize);
        this.pooledBuffers = (int) Math.max(1, Math.min(1024, core.cache.dirtyLimit() / bufferBlocks));
    }

    /** A data write of a batch: {@code bytes} is a view of one of its buffers. */
    private record DataWrite(long block, ByteBuffer bytes) {
    }

    /**
     * The data writes of one writeback, packed into pooled buffers of
     * {@link #bufferBlocks} blocks: many short runs share a buffer instead of taking one
     * each.
     */
    final class Batch {
        private final List<DataWrite> writes = new ArrayList<>();
        private final List<ByteBuffer> buffers = new ArrayList<>();
        private ByteBuffer current;
        /** Some pages overwrite their blocks in place. */
        private boolean inPlace;

        /** A zero-positioned view of {@code blocks} blocks to fill, for the write of {@code physical} on. */
        ByteBuffer add(long physical, int blocks) {
            int bytes = blocks * blockSize;
            if (current == null || current.remaining() < bytes) {
                ByteBuffer b;
                synchronized (writeBuffers) {
                    b = writeBuffers.poll();
                }
                current = b != null ? b.clear() : io.allocate(bufferBlocks * blockSize);
                buffers.add(current);
            }
            ByteBuffer view = current.slice(current.position(), bytes);
            current.position(current.position() + bytes);
            writes.add(new DataWrite(physical, view));
            return view;
        }

        /** The bytes of a view {@link #add} gave are also written at {@code physical}: the second copy. */
        void alsoAt(long physical, ByteBuffer view) {
            writes.add(new DataWrite(physical, view.duplicate()));
        }

        boolean isEmpty() {
            return writes.isEmpty();
        }

        /** Whether some pages overwrite their blocks in place (see {@code Committer.writeBack}). */
        boolean inPlace() {
            return inPlace;
        }

        /** Writes the batch's data to its blocks. */
        void write() throws IOException {
            for (DataWrite w : writes) {
                io.write(w.bytes(), w.block());
            }
        }

        /** The batch is written: its buffers serve the next one. */
        void recycle() {
            synchronized (writeBuffers) {
                for (ByteBuffer b : buffers) {
                    if (writeBuffers.size() < pooledBuffers) {
                        writeBuffers.push(b);
                    }
                }
            }
        }
    }

    /**
     * Places the dirty pages handed over by the cache, between applications of the
     * ledger (current counts decide what may go in place). Tree lock held exclusively.
     */
    Batch place(List<PageCache.FileDirty> dirty) throws IOException {
        core.refCounts.apply(core.ledger);
        Batch writes = new Batch();
        for (PageCache.FileDirty file : dirty) {
            placeFile(file, writes);
        }
        core.refCounts.apply(core.ledger);
        return writes;
    }

    /**
     * Places one file's pages, run by run of consecutive blocks. A run is not cut at any
     * length: its new blocks are asked for in one allocation, so a file written
     * sequentially gets one extent per writeback where free space allows, and the
     * extent merges with the one before it when the allocation continues it.
     */
    private void placeFile(PageCache.FileDirty file, Batch writes) throws IOException {
        long ino = file.inode();
        long[] indexes = file.indexes();
        PageCache.Page[] pages = file.pages();
        InodeItem inode = core.inodes.get(ino);
        if (inode == null) {
            // deleted after the pages were written
            long reserved = 0;
            for (PageCache.Page p : pages) {
                if (p.reserved) {
                    reserved++;
                }
            }
            core.space.unreserve(reserved);
            return;
        }
        boolean sums = !inode.has(InodeItem.NODATASUM);
        int flags = sums ? 0 : ExtentItem.NODATASUM;
        long allocatedDelta = 0;
        int i = 0;
        while (i < indexes.length) {
            int runEnd = i + 1;
            while (runEnd < indexes.length && indexes[runEnd] == indexes[runEnd - 1] + 1) {
                runEnd++;
            }
            long runFirst = indexes[i];
            Placements.Placement where = placements.decide(ino, inode.has(InodeItem.NOCOW), runFirst, runEnd - i);
            int k = 0;
            while (k < runEnd - i) {
                int j = where.runEnd(k);
                List<PageCache.Page> run = Arrays.asList(pages).subList(i + k, i + j);
                if (where.inPlace()[k]) {
                    overwriteInPlace(ino, runFirst + k, where.piece(k, j), run, sums, flags, writes);
                } else {
                    allocatedDelta += copyOnWrite(ino, runFirst + k, run, sums, flags, writes);
                }
                k = j;
            }
            i = runEnd;
        }
        InodeItem mapped = core.inodes.get(ino);
        core.inodes.putKeepingSize(ino, mapped.withAllocated(mapped.allocated() + allocatedDelta));
    }

    /** Pages for consecutive file blocks from {@code fileBlock}, written to new blocks; returns blocks newly mapped. */
    private long copyOnWrite(long ino, long fileBlock, List<PageCache.Page> run, boolean sums, int flags,
            Batch writes) throws IOException {
        for (PageCache.Page p : run) {
            if (!p.reserved) {
                core.space.reserveAnyway(1); // was to go in place; its block became shared after all
                p.reserved = true;
            }
        }
        long allocatedDelta = 0;
        int done = 0;
        while (done < run.size()) {
            Extent e = core.allocator.run(run.size() - done, core.extents.hint(ino, fileBlock + done));
            Extent m = core.allocator.mirrorOf(e, true);
            int n = (int) (m == null ? e.length() : m.length());
            ExtentItem item = new ExtentItem(e.start(), n, flags, m == null ? 0 : m.start());
            gather(item, run.subList(done, done + n), sums, writes);
            core.ledger.addExtent(item, +1);
            allocatedDelta += core.extents.replace(ino, fileBlock + done, item);
            done += n;
        }
        return allocatedDelta;
    }

    /**
     * Pages overwriting their own, unshared blocks from {@code physical}, which the file
     * maps with {@code oldFlags} and will map with {@code newFlags}.
     */
    private void overwriteInPlace(long ino, long fileBlock, ExtentItem where, List<PageCache.Page> run,
            boolean sums, int newFlags, Batch writes) throws IOException {
        long physical = where.physical();
        for (PageCache.Page p : run) {
            if (p.reserved) {
                core.space.unreserve(1);
                p.reserved = false;
            }
        }
        core.checksums.delete(physical, run.size());
        if (where.hasMirror()) {
            core.checksums.delete(where.mirror(), run.size());
        }
        writes.inPlace = true;
        gather(where, run, sums, writes);
        if (where.flags() != newFlags) {
            core.extents.retag(ino, fileBlock, where.withFlags(newFlags));
        }
        core.changes.rewritten(physical, run.size());
        if (where.hasMirror()) {
            core.changes.rewritten(where.mirror(), run.size());
        }
    }

    /**
     * Copies pages into write buffers for {@code physical} on, recording the copies'
     * checksums when {@code sums}: one device write per buffer of at most {@link #bufferBlocks}
     * blocks, however long the run.
     */
    private void gather(ExtentItem to, List<PageCache.Page> run, boolean sums, Batch writes) throws IOException {
        long physical = to.physical();
        int n = run.size();
        int dl = core.checksum.digestLength();
        byte[] digests = sums ? new byte[n * dl] : null;
        for (int done = 0; done < n; ) {
            int pieces = Math.min(n - done, bufferBlocks);
            ByteBuffer buf = writes.add(physical + done, pieces);
            if (to.hasMirror()) {
                writes.alsoAt(to.mirror() + done, buf);
            }
            for (int k = 0; k < pieces; k++) {
                byte[] page = run.get(done + k).data;
                buf.put(k * blockSize, page);
                copies.atWriteback(blockSize);
                if (sums) {
                    // The copy is summed, not the page: a write may change a page being written
                    // back (it is written again later), and the sum must be of the bytes written.
                    core.checksum.digest(buf.slice(k * blockSize, blockSize), digests, (done + k) * dl);
                }
            }
            done += pieces;
        }
        if (sums) {
            core.checksums.insert(physical, digests);
            if (to.hasMirror()) {
                core.checksums.insert(to.mirror(), digests); // each copy verifies by its own address (scrub)
            }
        }
    }
}
