package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.SourceFaultException;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DirectWrite;
import org.cowstack.storage.cow.bind.VolumeBindings;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.RefRun;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.space.Reservations;

/**
 * Direct writes (DESIGN P1, P3): the volume's DIO strategy decides how, from the facts
 * of the write, and this executes the decision. Whole blocks are written around the
 * cache, from a private copy ({@link DioMode#BOUNCE}) or from the caller's buffer (the
 * other modes), checksummed unless the mode is {@link DioMode#NODATASUM} or the file is
 * not. Unaligned writes can only be buffered, whatever the strategy says.
 */
public final class DirectWriter {
    private final VolumeCore core;
    private final BlockIo io;
    private final Placements placements;
    private final Reservations reservations;
    private final Committer committer;
    private final BufferedWriter buffered;
    private final DataCopies copies;
    private final int blockSize;

    public DirectWriter(VolumeCore core, BlockIo io, Placements placements, Reservations reservations,
            Committer committer, BufferedWriter buffered, DataCopies copies) {
        this.core = core;
        this.io = io;
        this.placements = placements;
        this.reservations = reservations;
        this.committer = committer;
        this.buffered = buffered;
        this.copies = copies;
        this.blockSize = core.blockSize;
    }

    /**
     * Where a direct write puts a run of its blocks: in place over the file's own block,
     * or a new block. {@code fileBlock} and {@code at} (the block index in the write) give the position.
     */
    private record DirectPiece(long fileBlock, int at, long physical, int blocks, boolean inPlace, int oldFlags,
            long mirror) {
        /**
         * Written data that readers may be verifying: replaced under the exclusive tree lock,
         * together with its checksum, so no reader sees new data with an old checksum.
         */
        boolean overwritesWrittenData() {
            return inPlace && (oldFlags & ExtentItem.UNWRITTEN) == 0;
        }
    }

    /** The facts a DIO strategy decides on, as of now: the file's lock is held while it decides. */
    private final class DirectFacts implements DirectWrite {
        private final long ino;
        private final String path;
        private final long offset;
        private final long length;
        private final boolean aligned;
        private final boolean checksummed;
        private final boolean nocow;
        private Boolean shared;

        DirectFacts(long ino, String path, long offset, long length, boolean aligned, InodeItem inode) {
            this.ino = ino;
            this.path = path;
            this.offset = offset;
            this.length = length;
            this.aligned = aligned;
            this.checksummed = !inode.has(InodeItem.NODATASUM);
            this.nocow = inode.has(InodeItem.NOCOW);
        }

        @Override
        public String volume() {
            return core.name;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public boolean aligned() {
            return aligned;
        }

        @Override
        public boolean checksummed() {
            return checksummed;
        }

        @Override
        public boolean nocow() {
            return nocow;
        }

        /** Looked up only when a strategy asks: it costs reference-count lookups. */
        @Override
        public boolean shared() {
            if (shared == null) {
                try {
                    shared = anyShared(ino, offset / blockSize, core.blocksCovering(offset + length));
                } catch (IOException e) {
                    shared = Boolean.TRUE; // unknown: the cautious answer
                }
            }
            return shared;
        }
    }

    private boolean anyShared(long ino, long first, long end) throws IOException {
        return core.treeLock.changing(() -> {
            core.refCounts.apply(core.ledger);
            for (Extents.Mapping m : core.extents.within(ino, first, end)) {
                for (RefRun run : core.refCounts.runs(m.extent().physical(), m.extent().blocks())) {
                    if (run.shared()) {
                        return true;
                    }
                }
            }
            return false;
        });
    }

    private DioStrategy strategy() throws SuspendedException {
        DioStrategy s = core.bindings.strategy();
        if (s == null) {
            throw new SuspendedException(core.name, core.bindings.describe(VolumeBindings.Service.STRATEGY));
        }
        return s;
    }

    /** {@code FileHandle.writeDirect}. */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public int write(long ino, String path, ByteBuffer src, long offset) throws IOException {
        core.checkWritable();
        int length = src.remaining();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        if (length == 0) {
            return 0;
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new InvalidArgumentException("offset", offset, "an offset such that the write ends below 2^63");
        }
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            InodeItem inode = core.treeLock.reading(() -> core.inodes.getOrThrow(ino, path));
            boolean aligned = offset % blockSize == 0 && length % blockSize == 0;
            DirectFacts facts = new DirectFacts(ino, path, offset, length, aligned, inode);
            DioMode mode = strategy().choose(facts);
            if (mode == null || !aligned) {
                mode = DioMode.BUFFERED; // the only way to write part of a block, and the safe answer to none
            }
            copies.directWrite(mode);
            if (mode == DioMode.BUFFERED) {
                return buffered.write(ino, path, src, offset);
            }
            return writeBlocks(ino, path, src, offset, mode, facts.checksummed(), Long.MAX_VALUE);
        }
    }

    /**
     * A store through a file mapping: whole blocks of the file from {@code blocks}, a
     * private buffer, written now, as a direct write of them would be (in place where a
     * direct write would go in place, to new blocks otherwise: the copy-on-write fault),
     * leaving the file's size as it is when the blocks reach past it. The caller holds
     * the file's lock and has read the blocks' other bytes under it.
     *
     * @return bytes written: all of them, or the prefix a failure left (see {@link #write})
     */
    public int store(long ino, String path, ByteBuffer blocks, long offset, long size) throws IOException {
        core.checkWritable();
        InodeItem inode = core.treeLock.reading(() -> core.inodes.getOrThrow(ino, path));
        return writeBlocks(ino, path, blocks, offset, DioMode.DIRECT, !inode.has(InodeItem.NODATASUM), size);
    }

    /**
     * Writes whole blocks around the cache. The pieces that were written form a prefix
     * of the write; a failure links that prefix and gives back the rest, so the file is
     * as if the prefix alone had been written (P3). File lock held.
     */
    private int writeBlocks(long ino, String path, ByteBuffer src, long offset, DioMode mode, boolean checksummed,
            long sizeCap) throws IOException {
        int length = src.remaining();
        long first = offset / blockSize;
        int blocks = length / blockSize;
        if (core.cache.unwrittenIn(ino, first, first + blocks)) {
            // As the kernel writes a range back and waits for it before a direct write to it:
            // a dirty page, or one a commit or writeback is writing right now (its data write
            // runs without the tree lock), must not land over this data later. The commit
            // waits for every write in flight.
            committer.sync();
        }
        boolean sums = checksummed && mode != DioMode.NODATASUM;
        int flags = sums ? 0 : ExtentItem.NODATASUM;
        CallerBuffer caller = new CallerBuffer(src, blockSize, copies);
        Throwable fault = null;
        // The bytes the device is given: a private copy, or the caller's own.
        ByteBuffer data = caller.data();
        if (mode == DioMode.BOUNCE) {
            data = io.allocate(length);
            try {
                caller.copyTo(data, blocks);
            } catch (CallerBuffer.Fault f) {
                blocks = f.blocks;
                fault = f.getCause();
            }
        }
        int dl = core.checksum.digestLength();
        byte[] digests = sums ? new byte[blocks * dl] : null;
        if (sums) {
            for (int k = 0; k < blocks; k++) {
                try {
                    ByteBuffer block = mode == DioMode.BOUNCE ? data.slice(k * blockSize, blockSize) : caller.block(k);
                    core.checksum.digest(block, digests, k * dl);
                } catch (CallerBuffer.Fault f) {
                    blocks = f.blocks;
                    fault = f.getCause();
                    break;
                }
            }
        }
        if (blocks == 0) {
            throw new SourceFaultException(path, offset, 0, fault);
        }
        int count = blocks;
        Placements.Placement where = placements.forWrite(ino, path, first, count);
        long cow = where == null ? count : count - where.inPlaceCount();
        reservations.reserve(cow);
        List<DirectPiece> pieces = plan(ino, first, count, where, cow);
        // Pass 1, without the tree lock: new blocks and preallocated ones, which no reader
        // sees until the pieces are linked. A piece that fails ends the prefix there.
        int failAt = pieces.size();
        Throwable failure = null;
        for (int i = 0; i < pieces.size(); i++) {
            DirectPiece piece = pieces.get(i);
            if (piece.overwritesWrittenData()) {
                continue;
            }
            try {
                writePiece(data, piece);
                if (mode == DioMode.VERIFY) {
                    recheck(caller, piece, digests);
                }
            } catch (IOException | RuntimeException | InternalError e) {
                failAt = i;
                failure = e;
                break;
            }
        }
        ByteBuffer source = data;
        int[] end = {failAt};
        Throwable[] failed = {failure};
        core.treeLock.changing(() -> {
            // Pass 2: written data overwritten in place, with its checksum, under the lock.
            for (int i = 0; i < end[0]; i++) {
                DirectPiece piece = pieces.get(i);
                if (!piece.overwritesWrittenData()) {
                    continue;
                }
                // Told before the bytes change, not only after: whatever shows these blocks
                // straight from the device (a mapped view) must not pass its check on a mix.
                core.changes.rewritten(piece.physical(), piece.blocks());
                if (piece.mirror() != 0) {
                    core.changes.rewritten(piece.mirror(), piece.blocks());
                }
                try {
                    writePiece(source, piece);
                    if (mode == DioMode.VERIFY) {
                        recheck(caller, piece, digests);
                    }
                } catch (IOException | RuntimeException | InternalError e) {
                    resettle(ino, piece);
                    end[0] = i;
                    failed[0] = e;
                    break;
                }
            }
            link(ino, path, offset, first, count, pieces, end[0], flags, sums ? digests : null, sizeCap);
        });
        giveBack(pieces, end[0]);
        int written = prefixBlocks(pieces, end[0], count) * blockSize;
        src.position(src.position() + written);
        failure = failed[0];
        if (failure instanceof InternalError) {
            throw new SourceFaultException(path, offset, written, failure);
        }
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (fault != null) {
            throw new SourceFaultException(path, offset, written, fault);
        }
        return written;
    }

    /**
     * Where each run of the write's {@code count} blocks goes: in place (as {@code where}
     * says) or to new blocks, allocated now from the {@code cow} blocks reserved.
     */
    private List<DirectPiece> plan(long ino, long first, int count, Placements.Placement where, long cow)
            throws IOException {
        List<DirectPiece> pieces = new ArrayList<>();
        long allocated = 0;
        try {
            int k = 0;
            while (k < count) {
                int j = where == null ? count : where.runEnd(k);
                if (where != null && where.inPlace()[k]) {
                    pieces.add(new DirectPiece(first + k, k, where.physical()[k], j - k, true, where.flags()[k],
                            where.mirror()[k]));
                    k = j;
                    continue;
                }
                long runStart = first + k;
                long hint = core.treeLock.reading(() -> core.extents.hint(ino, runStart));
                while (k < j) {
                    Extent e = core.allocator.run(j - k, hint);
                    Extent m = core.allocator.mirrorOf(e, true);
                    int n = (int) (m == null ? e.length() : m.length());
                    pieces.add(new DirectPiece(first + k, k, e.start(), n, false, 0, m == null ? 0 : m.start()));
                    allocated += n; // file blocks: the reservation counts the copies itself
                    hint = e.start() + n;
                    k += n;
                }
            }
            return pieces;
        } catch (IOException | RuntimeException e) {
            giveBack(pieces, 0);
            core.space.unreserve(cow - allocated);
            throw e;
        }
    }

    /**
     * Maps the first {@code end} pieces into the file with their checksums and gives back
     * the cached pages they replace. Tree lock held exclusively.
     */
    private void link(long ino, String path, long offset, long first, int count, List<DirectPiece> pieces, int end,
            int flags, byte[] digests, long sizeCap) throws IOException {
        core.space.unreserve(core.cache.drop(ino, first, first + count));
        int dl = core.checksum.digestLength();
        long allocatedDelta = 0;
        for (int i = 0; i < end; i++) {
            DirectPiece piece = pieces.get(i);
            ExtentItem item = new ExtentItem(piece.physical(), piece.blocks(), flags, piece.mirror());
            if (piece.inPlace()) {
                core.checksums.delete(piece.physical(), piece.blocks());
                if (piece.mirror() != 0) {
                    core.checksums.delete(piece.mirror(), piece.blocks());
                }
                if (piece.oldFlags() != flags) {
                    core.extents.retag(ino, piece.fileBlock(), item);
                }
                core.changes.rewritten(piece.physical(), piece.blocks());
                if (piece.mirror() != 0) {
                    core.changes.rewritten(piece.mirror(), piece.blocks());
                }
            } else {
                core.ledger.addExtent(item, +1);
                allocatedDelta += core.extents.replace(ino, piece.fileBlock(), item);
            }
            if (digests != null) {
                byte[] sums = Arrays.copyOfRange(digests, piece.at() * dl, (piece.at() + piece.blocks()) * dl);
                core.checksums.insert(piece.physical(), sums);
                if (piece.mirror() != 0) {
                    core.checksums.insert(piece.mirror(), sums);
                }
            }
        }
        int linkedBlocks = prefixBlocks(pieces, end, count);
        long linked = linkedBlocks * (long) blockSize;
        if (linked > 0 || allocatedDelta != 0) {
            InodeItem now = core.inodes.getOrThrow(ino, path);
            long size = Math.max(now.size(), Math.min(offset + linked, sizeCap));
            core.inodes.put(ino, now.withSize(size, VolumeCore.now()).withAllocated(now.allocated() + allocatedDelta));
            core.changes.resized(ino, now.size(), size);
        }
        core.changes.contentChanged(ino, offset, Math.min(linked, Math.max(0, sizeCap - offset)));
    }

    /** Blocks of a direct write of {@code count} blocks before piece {@code end}: the prefix it links. */
    private static int prefixBlocks(List<DirectPiece> pieces, int end, int count) {
        return end == pieces.size() ? count : pieces.get(end).at();
    }

    private void writePiece(ByteBuffer data, DirectPiece piece) throws IOException {
        io.write(data.slice(piece.at() * blockSize, piece.blocks() * blockSize), piece.physical(), piece.mirror());
    }

    /**
     * {@link DioMode#VERIFY}'s second look: checksums the caller's blocks again and
     * rewrites, from a private copy, each block that changed since its checksum was
     * taken (the device may have written either state, or a mix). A block that can no
     * longer be read (the source faulted) takes its checksum from what the device holds.
     */
    private void recheck(CallerBuffer caller, DirectPiece piece, byte[] digests) throws IOException {
        int dl = core.checksum.digestLength();
        byte[] now = new byte[dl];
        for (int k = piece.at(); k < piece.at() + piece.blocks(); k++) {
            long physical = piece.physical() + (k - piece.at());
            ByteBuffer block;
            try {
                block = caller.block(k);
            } catch (CallerBuffer.Fault f) {
                io.digestOnDevice(physical, piece.at() + piece.blocks() - k, digests, k * dl);
                return;
            }
            core.checksum.digest(block.duplicate(), now, 0);
            if (!Arrays.equals(now, 0, dl, digests, k * dl, k * dl + dl)) {
                ByteBuffer copy = io.allocate(blockSize);
                copy.put(block).flip();
                copies.bounced(blockSize);
                core.checksum.digest(copy.duplicate(), digests, k * dl);
                io.write(copy, physical, piece.mirror() == 0 ? 0 : piece.mirror() + (k - piece.at()));
            }
        }
    }

    /**
     * An in-place overwrite of written data failed part-way: the blocks hold an unknown
     * mix of old and new. Their checksums are taken from what the device holds, so the
     * mix reads back as it is instead of as a false mismatch. Tree lock held.
     */
    private void resettle(long ino, DirectPiece piece) {
        // The blocks hold something else now, whatever the checksums say: the change is told.
        core.changes.contentChanged(ino, piece.fileBlock() * blockSize, (long) piece.blocks() * blockSize);
        core.changes.rewritten(piece.physical(), piece.blocks());
        if (piece.mirror() != 0) {
            core.changes.rewritten(piece.mirror(), piece.blocks());
        }
        if ((piece.oldFlags() & ExtentItem.NODATASUM) != 0) {
            return;
        }
        try {
            for (long at : piece.mirror() == 0 ? new long[] {piece.physical()}
                    : new long[] {piece.physical(), piece.mirror()}) {
                byte[] digests = new byte[piece.blocks() * core.checksum.digestLength()];
                io.digestOnDevice(at, piece.blocks(), digests, 0);
                core.checksums.delete(at, piece.blocks());
                core.checksums.insert(at, digests);
            }
        } catch (IOException | RuntimeException e) {
            // The device cannot read them either: they will report the media error.
        }
    }

    /** New blocks of pieces from {@code from} on were never referenced: reusable at once. */
    private void giveBack(List<DirectPiece> pieces, int from) {
        for (DirectPiece p : pieces.subList(from, pieces.size())) {
            if (!p.inPlace()) {
                core.space.giveBack(p.physical(), p.blocks());
                if (p.mirror() != 0) {
                    core.space.giveBack(p.mirror(), p.blocks());
                }
            }
        }
    }
}
