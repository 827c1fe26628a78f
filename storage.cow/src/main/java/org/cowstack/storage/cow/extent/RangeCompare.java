package org.cowstack.storage.cow.extent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;

/**
 * The comparison of a dedupe: both ranges read from the device straight into pooled
 * direct buffers, a chunk at a time, verified there against their stored checksums (a
 * comparison never trusts data that fails them, DESIGN P1) and compared in place, with
 * nothing copied into the page cache or into heap arrays ({@link ChunkCompare}).
 *
 * <p>The chunks are shared between the calling thread and one helper thread of the
 * volume, each with its own buffers, each taking the next chunk in file order from a
 * counter: on two cores the copies out of the host cache, the digests and the comparison
 * run twice as wide. Nothing waits for a thread that is not scheduled: the caller takes
 * every chunk the helper did not get to, and a chunk the helper took but has not
 * finished after about a chunk's time the caller compares again itself (what a busy
 * machine costs is one chunk, not a time slice; an earlier version that handed each
 * chunk over measured slower on a loaded two-core machine). The two streams stay a
 * chunk apart, so the host's read-ahead still sees sequential reads. The answer is the
 * one a sequential comparison gives: the first chunk in file order that differs or
 * fails its checksums decides, and chunks after it are ignored.
 *
 * <p>The caller holds both files' locks and the commit lock, after the ranges' dirty
 * pages were written back: the device holds what the files contain, no block of theirs
 * can be freed or reused while the caller compares, and one comparison at a time uses
 * the caller's buffers. The helper's buffers are its own and its tasks run one after
 * the other. A helper still finishing a chunk after the caller returned works for
 * nobody: whatever it reads or throws then is dropped with its comparison. It is never
 * interrupted (an interrupt during a channel read would close the device's channel),
 * and it ends when idle.
 */
final class RangeCompare {
    /** Bytes compared per chunk and side: long reads, two buffers of this size per worker. */
    private static final int CHUNK_BYTES = 1 << 20;
    /** Whether a second thread can help: not on a machine of one processor. */
    private static final boolean HELPED = Runtime.getRuntime().availableProcessors() > 1;

    private final VolumeCore core;
    private final BlockIo io;
    private final int chunkBlocks;
    private final ThreadPoolExecutor helper;
    /** The workers: the caller's and the helper's, made at the first dedupe and kept. Commit lock held. */
    private ChunkCompare mine;
    private ChunkCompare helpers;

    RangeCompare(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
        this.chunkBlocks = Math.max(1, CHUNK_BYTES / core.blockSize);
        this.helper = new ThreadPoolExecutor(1, 1, 2, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "storage: dedupe compare for " + core.name);
            t.setDaemon(true);
            return t;
        });
        helper.allowCoreThreadTimeOut(true);
    }

    /**
     * Whether the first {@code bytes} of file blocks {@code [sFirst, sFirst + n)} of
     * {@code src} equal those from {@code dFirst} of {@code dst}.
     */
    boolean equal(long src, String srcPath, long sFirst, long dst, String dstPath, long dFirst, long n, long bytes)
            throws IOException {
        if (mine == null) {
            mine = new ChunkCompare(core, io, chunkBlocks);
            helpers = new ChunkCompare(core, io, chunkBlocks);
        }
        Comparison c = new Comparison(new ChunkCompare.Side(src, srcPath, sFirst),
                new ChunkCompare.Side(dst, dstPath, dFirst), n, bytes);
        if (c.chunks > 1 && HELPED) {
            try {
                helper.execute(() -> c.work(helpers, false));
            } catch (RejectedExecutionException e) {
                // the caller compares alone
            }
        }
        c.work(mine, true);
        c.finish(mine);
        return c.verdict();
    }

    /** One call's comparison: the chunks handed out in order, the first bad one kept. */
    private final class Comparison {
        final ChunkCompare.Side src;
        final ChunkCompare.Side dst;
        final long n;
        final long bytes;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        /** 1 where a chunk's outcome is known; the first worker to finish a chunk sets it and records the outcome. */
        final AtomicIntegerArray done;
        /** The caller's time on its own chunks, to know how long a chunk takes now. */
        private long callerNanos;
        private int callerChunks;
        /** The first chunk in file order found different or failing, and its failure (null: different). */
        private int firstBad = Integer.MAX_VALUE;
        private Throwable failure;

        Comparison(ChunkCompare.Side src, ChunkCompare.Side dst, long n, long bytes) {
            this.src = src;
            this.dst = dst;
            this.n = n;
            this.bytes = bytes;
            this.chunks = (int) ((n + chunkBlocks - 1) / chunkBlocks);
            this.done = new AtomicIntegerArray(chunks);
        }

        /** Takes the next chunk in file order until none is left or one before it was found bad. */
        void work(ChunkCompare worker, boolean caller) {
            for (int c = next.getAndIncrement(); c < chunks && c < firstBad(); c = next.getAndIncrement()) {
                long start = caller ? System.nanoTime() : 0;
                compare(worker, c);
                if (caller) {
                    callerNanos += System.nanoTime() - start;
                    callerChunks++;
                }
            }
        }

        /**
         * The chunks the helper took but has not finished: each waited for about as long
         * as a chunk takes, then compared by the caller (a helper that is not scheduled
         * costs one chunk, not a time slice of the machine). The helper's late outcome
         * is ignored: the first one recorded wins, and both are the same.
         */
        void finish(ChunkCompare worker) {
            long patience = callerChunks == 0 ? 0 : 2 * callerNanos / callerChunks;
            for (int c = 0; c < chunks && c < firstBad(); c++) {
                long until = System.nanoTime() + patience;
                while (done.get(c) == 0 && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                if (done.get(c) == 0) {
                    compare(worker, c);
                }
            }
        }

        private void compare(ChunkCompare worker, int c) {
            long first = (long) c * chunkBlocks;
            int count = (int) Math.min(chunkBlocks, n - first);
            int compare = (int) Math.min((long) count * core.blockSize, bytes - first * core.blockSize);
            Throwable why = null;
            boolean equal = false;
            try {
                equal = worker.equal(src, dst, first, count, compare);
            } catch (IOException | RuntimeException | Error e) {
                why = e;
            }
            finished(c, equal, why);
        }

        /**
         * Records the first outcome of chunk {@code c}, a bad one before the chunk counts
         * as done: a caller that sees the chunk done finds its outcome in the verdict.
         */
        private synchronized void finished(int c, boolean equal, Throwable why) {
            if (done.get(c) == 0) {
                if (!equal && c < firstBad) {
                    firstBad = c;
                    failure = why;
                }
                done.set(c, 1);
            }
        }

        private synchronized int firstBad() {
            return firstBad;
        }

        synchronized boolean verdict() throws IOException {
            if (failure instanceof IOException e) {
                throw e;
            }
            if (failure instanceof UncheckedIOException e) {
                throw e.getCause();
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return firstBad == Integer.MAX_VALUE;
        }
    }
}
