package org.cowstack.storage.cow.extent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.meta.Extents;

/**
 * The comparison of a dedupe: both ranges read from the device straight into two pooled
 * direct buffers, a chunk at a time, verified there against their stored checksums (a
 * comparison never trusts data that fails them, DESIGN P1) and compared in place, with
 * nothing copied into the page cache or into heap arrays. Holes and preallocated blocks
 * compare as zeros. While one chunk of both files is verified and compared, a thread of
 * the call's own reads the next one into the other pair of buffers (read-ahead on both
 * files). The caller holds both files' locks and the commit lock, after the ranges' dirty
 * pages were written back, and is inside the volume's gate until the read-ahead is done:
 * the device holds what the files contain, no block of theirs can be freed or reused
 * meanwhile, and one comparison at a time uses the buffers.
 */
final class RangeCompare {
    /** Bytes compared per chunk and side: long reads; two pairs of buffers this size per volume. */
    private static final int CHUNK_BYTES = 1 << 20;

    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;
    private final int chunkBlocks;
    /** The pool: two buffers per side, allocated at the first dedupe and kept. Commit lock held. */
    private ByteBuffer[] buffers;

    /** Checksummed blocks read into a chunk: {@code blocks} from {@code physical}, at {@code offset} in it. */
    private record Run(long fileBlock, long physical, int blocks, int offset) {
    }

    /** One side's chunk as read: the data and what in it is to be verified. */
    private record Chunk(ByteBuffer data, List<Run> runs) {
    }

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
        if (buffers == null) {
            buffers = new ByteBuffer[4];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = io.allocate(chunkBlocks * blockSize);
            }
        }
        long chunks = (n + chunkBlocks - 1) / chunkBlocks;
        CompletableFuture<Chunk[]> next = null;
        try {
            Chunk[] current = readPair(src, sFirst, dst, dFirst, n, 0);
            for (long c = 0; c < chunks; c++) {
                if (c + 1 < chunks) {
                    long following = c + 1;
                    CompletableFuture<Chunk[]> f = new CompletableFuture<>();
                    next = f;
                    Thread ahead = new Thread(() -> {
                        try {
                            f.complete(readPair(src, sFirst, dst, dFirst, n, following));
                        } catch (Throwable e) {
                            f.completeExceptionally(e);
                        }
                    }, "dedupe read-ahead on " + core.name);
                    ahead.setDaemon(true);
                    ahead.start();
                }
                verify(srcPath, current[0]);
                verify(dstPath, current[1]);
                long done = c * chunkBlocks;
                int compare = (int) Math.min((long) chunkBlocks * blockSize, bytes - done * blockSize);
                if (current[0].data().slice(0, compare).mismatch(current[1].data().slice(0, compare)) >= 0) {
                    return false;
                }
                if (next != null) {
                    current = await(next);
                    next = null;
                }
            }
            return true;
        } finally {
            if (next != null) {
                // A mismatch or a failure: the read in flight ends before the buffers are used again.
                try {
                    next.join();
                } catch (RuntimeException ignored) {
                    // already failing, or the answer is known
                }
            }
        }
    }

    private static Chunk[] await(CompletableFuture<Chunk[]> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.join(); // the buffers stay in use until the read ends
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while comparing");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new UncheckedIOException(new IOException(cause));
        }
    }

    /** Chunk {@code c} of both sides, into the pair of buffers for its parity. */
    private Chunk[] readPair(long src, long sFirst, long dst, long dFirst, long n, long c) throws IOException {
        long done = c * chunkBlocks;
        int count = (int) Math.min(chunkBlocks, n - done);
        int pair = (int) (c % 2) * 2;
        return new Chunk[] {read(src, sFirst + done, count, buffers[pair]),
                read(dst, dFirst + done, count, buffers[pair + 1])};
    }

    /** File blocks {@code [first, first + count)} into {@code buf} from its start; holes and preallocation zeroed. */
    private Chunk read(long ino, long first, int count, ByteBuffer buf) throws IOException {
        List<Extents.Mapping> maps = core.treeLock.reading(() -> core.extents.within(ino, first, first + count));
        List<Run> runs = new ArrayList<>(maps.size());
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
                runs.add(new Run(m.fileBlock(), physical, n, offset));
            }
            at = m.fileEnd();
        }
        zero(buf, (int) (at - first), count);
        return new Chunk(buf.slice(0, count * blockSize), runs);
    }

    /** Zeros blocks {@code [from, to)} of the chunk in {@code buf}. */
    private void zero(ByteBuffer buf, int from, int to) {
        for (int i = from * blockSize, end = to * blockSize; i < end; i += Long.BYTES) {
            buf.putLong(i, 0L);
        }
    }

    /** As {@code BlockIo.verify}, on a chunk in a direct buffer: a comparison never uses data that fails its checksum. */
    private void verify(String path, Chunk chunk) throws IOException {
        int d = core.checksum.digestLength();
        byte[] actual = new byte[d];
        for (Run r : chunk.runs()) {
            byte[] expected = core.treeLock.reading(() -> core.checksums.lookup(r.physical(), r.blocks()));
            if (expected == null) {
                throw new CorruptImageException(core.deviceUri.toString(), "blocks " + r.physical() + "+"
                        + r.blocks() + " of " + path + " have no checksums");
            }
            for (int k = 0; k < r.blocks(); k++) {
                core.checksum.digest(chunk.data().slice(r.offset() + k * blockSize, blockSize), actual, 0);
                if (!Arrays.equals(expected, k * d, (k + 1) * d, actual, 0, d)) {
                    throw new ChecksumMismatchException(core.name, path, (r.fileBlock() + k) * blockSize,
                            r.physical() + k, core.checksum.name(), Arrays.copyOfRange(expected, k * d, (k + 1) * d),
                            actual);
                }
            }
        }
    }
}
