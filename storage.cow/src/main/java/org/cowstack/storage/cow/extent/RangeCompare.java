package org.cowstack.storage.cow.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.meta.Extents;

/**
 * The comparison of a dedupe: both ranges read from the device straight into two pooled
 * direct buffers, a chunk at a time, verified there against their stored checksums (a
 * comparison never trusts data that fails them, DESIGN P1) and compared in place, with
 * nothing copied into the page cache or into heap arrays. Holes and preallocated blocks
 * compare as zeros. Read-ahead is the host's on the image file, which these long
 * sequential reads trigger; a thread of the call's own reading the next chunk measured
 * slower on a loaded two-core machine (a hand-over per chunk), so there is none. The
 * caller holds both files' locks and the commit lock, after the
 * ranges' dirty pages were written back: the device holds what the files contain, no
 * block of theirs can be freed or reused meanwhile, and one comparison at a time uses the
 * buffers.
 */
final class RangeCompare {
    /** Bytes compared per chunk and side: long reads, two buffers of this size per volume. */
    private static final int CHUNK_BYTES = 1 << 20;

    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;
    private final int chunkBlocks;
    /** The pool: one buffer per side, allocated at the first dedupe and kept. Commit lock held. */
    private ByteBuffer left;
    private ByteBuffer right;

    RangeCompare(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
        this.blockSize = core.blockSize;
        this.chunkBlocks = Math.max(1, CHUNK_BYTES / blockSize);
    }

    /**
     * Whether the first {@code bytes} of file blocks {@code [sFirst, sFirst + n)} of
     * {@code src} equal those from {@code dFirst} of {@code dst}.
     */
    boolean equal(long src, String srcPath, long sFirst, long dst, String dstPath, long dFirst, long n, long bytes)
            throws IOException {
        if (left == null) {
            left = io.allocate(chunkBlocks * blockSize);
            right = io.allocate(chunkBlocks * blockSize);
        }
        for (long done = 0; done < n; done += chunkBlocks) {
            int count = (int) Math.min(chunkBlocks, n - done);
            int compare = (int) Math.min((long) count * blockSize, bytes - done * blockSize);
            ByteBuffer a = read(src, srcPath, sFirst + done, count, left);
            ByteBuffer b = read(dst, dstPath, dFirst + done, count, right);
            if (a.slice(0, compare).mismatch(b.slice(0, compare)) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** File blocks {@code [first, first + count)} into {@code buf} from its start, verified; answers the filled part. */
    private ByteBuffer read(long ino, String path, long first, int count, ByteBuffer buf) throws IOException {
        List<Extents.Mapping> maps = core.treeLock.reading(() -> core.extents.within(ino, first, first + count));
        long at = first;
        for (Extents.Mapping m : maps) {
            if (m.extent().unwritten()) {
                continue; // zeros: filled with the gaps below
            }
            zero(buf, (int) (at - first), (int) (m.fileBlock() - first));
            int n = (int) (m.fileEnd() - m.fileBlock());
            int offset = (int) (m.fileBlock() - first) * blockSize;
            long physical = m.physicalAt(m.fileBlock());
            io.read(buf.slice(offset, n * blockSize), physical);
            if (m.extent().checksummed()) {
                verify(path, m.fileBlock(), physical, n, buf, offset);
            }
            at = m.fileEnd();
        }
        zero(buf, (int) (at - first), count);
        return buf.slice(0, count * blockSize);
    }

    /** Zeros blocks {@code [from, to)} of the chunk in {@code buf}, unless they were read (from beyond to). */
    private void zero(ByteBuffer buf, int from, int to) {
        for (int b = from; b < to; b++) {
            for (int i = b * blockSize, end = i + blockSize; i < end; i += Long.BYTES) {
                buf.putLong(i, 0L);
            }
        }
    }

    /** {@link BlockIo#verify} under the tree lock, which the checksum tree's lookup needs. */
    private void verify(String path, long fileBlock, long physical, int n, ByteBuffer data, int at)
            throws IOException {
        core.treeLock.reading(() -> {
            io.verify(path, fileBlock, physical, n, data, at);
            return null;
        });
    }
}
