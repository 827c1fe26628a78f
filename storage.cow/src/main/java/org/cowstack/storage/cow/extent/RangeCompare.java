package org.cowstack.storage.cow.extent;

import java.io.IOException;

import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;

/**
 * The comparison of a dedupe: both ranges read from the device straight into pooled
 * direct buffers, a chunk at a time, verified there against their stored checksums (a
 * comparison never trusts data that fails them, DESIGN P1) and compared in place, with
 * nothing copied into the page cache or into heap arrays ({@link ChunkCompare}).
 * Read-ahead is the host's on the image file, which these long sequential reads
 * trigger. The caller holds both files' locks and the commit lock, after the ranges'
 * dirty pages were written back: the device holds what the files contain, no block of
 * theirs can be freed or reused meanwhile, and one comparison at a time uses the buffers.
 */
final class RangeCompare {
    /** Bytes compared per chunk and side: long reads, two buffers of this size per volume. */
    private static final int CHUNK_BYTES = 1 << 20;

    private final VolumeCore core;
    private final BlockIo io;
    private final int chunkBlocks;
    /** The buffers, made at the first dedupe and kept. Commit lock held. */
    private ChunkCompare worker;

    RangeCompare(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
        this.chunkBlocks = Math.max(1, CHUNK_BYTES / core.blockSize);
    }

    /**
     * Whether the first {@code bytes} of file blocks {@code [sFirst, sFirst + n)} of
     * {@code src} equal those from {@code dFirst} of {@code dst}.
     */
    boolean equal(long src, String srcPath, long sFirst, long dst, String dstPath, long dFirst, long n, long bytes)
            throws IOException {
        if (worker == null) {
            worker = new ChunkCompare(core, io, chunkBlocks);
        }
        ChunkCompare.Side from = new ChunkCompare.Side(src, srcPath, sFirst);
        ChunkCompare.Side to = new ChunkCompare.Side(dst, dstPath, dFirst);
        for (long done = 0; done < n; done += chunkBlocks) {
            int count = (int) Math.min(chunkBlocks, n - done);
            int compare = (int) Math.min((long) count * core.blockSize, bytes - done * core.blockSize);
            if (!worker.equal(from, to, done, count, compare)) {
                return false;
            }
        }
        return true;
    }
}
