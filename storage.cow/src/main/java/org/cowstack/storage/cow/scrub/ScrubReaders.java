package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;

/**
 * The reader threads of a {@link ScrubPass}: they read ahead of the scrub's thread,
 * which verifies, and give way to file reads ({@link VolumeCore#foregroundReads}).
 * Reads are handed out in physical order; the threads end after a second without work
 * (between pieces of a rate limited scrub, after a pass), so an idle volume keeps none.
 */
final class ScrubReaders {
    /** The longest a reader thread waits for running file reads before a device read. */
    private static final long YIELD_MAX_NANOS = 2_000_000L;
    private static final long YIELD_PARK_NANOS = 100_000;
    /** How long after it saw a file read a reader thread reads {@link #CONTENDED_READ_BYTES} at a time. */
    private static final long CONTENDED_NANOS = 50_000_000L;
    static final int CONTENDED_READ_BYTES = 512 << 10;

    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;
    private final ThreadPoolExecutor threads;
    /** Held by the reader thread that reads while file reads contend. */
    private final ReentrantLock oneAtATime = new ReentrantLock();
    /** When a reader thread last saw a file read running. */
    private volatile long contendedAt = System.nanoTime() - CONTENDED_NANOS;

    ScrubReaders(VolumeCore core, BlockIo io, int count) {
        this.core = core;
        this.io = io;
        this.blockSize = core.blockSize;
        String name = "scrub-read-" + core.name;
        this.threads = new ThreadPoolExecutor(count, count, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        this.threads.allowCoreThreadTimeOut(true);
    }

    /** Runs a read on a reader thread. */
    Future<Boolean> submit(Callable<Boolean> read) {
        return threads.submit(read);
    }

    /**
     * On a reader thread: reads a run, giving way to file reads. Before each device read
     * it waits (up to {@link #YIELD_MAX_NANOS}) while file reads are running, and for
     * {@link #CONTENDED_NANOS} after it saw one it reads {@link #CONTENDED_READ_BYTES} at
     * a time, one reader thread at a time, so a file read that comes meanwhile queues
     * behind one short read, not two whole runs. False when the medium refused some
     * block of the run.
     */
    boolean readRun(ByteBuffer dst, long start) throws IOException {
        try {
            long at = start;
            while (dst.hasRemaining()) {
                int bytes = dst.remaining();
                boolean contended = yieldToReaders();
                if (contended) {
                    bytes = Math.min(bytes, CONTENDED_READ_BYTES);
                    oneAtATime.lock();
                }
                try {
                    if (contended) {
                        yieldToReaders(); // the other reader's turn may have taken a while
                    }
                    ByteBuffer part = dst.duplicate();
                    part.limit(part.position() + bytes);
                    io.read(part, at);
                } finally {
                    if (contended) {
                        oneAtATime.unlock();
                    }
                }
                at += bytes / blockSize;
                dst.position(dst.position() + bytes);
            }
            return true;
        } catch (org.cowstack.storage.api.MediaErrorException e) {
            return false; // the medium refused some block of the run: read them one by one
        }
    }

    /** Waits (a while at most) for the file reads running now; answers whether file reads ran lately. */
    private boolean yieldToReaders() {
        long now = System.nanoTime();
        if (core.foregroundReads.get() > 0) {
            contendedAt = now;
            long end = now + YIELD_MAX_NANOS;
            while (core.foregroundReads.get() > 0 && System.nanoTime() - end < 0) {
                LockSupport.parkNanos(YIELD_PARK_NANOS);
            }
        }
        return now - contendedAt < CONTENDED_NANOS;
    }

    static boolean result(Future<Boolean> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("scrub interrupted while it read");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }
}
