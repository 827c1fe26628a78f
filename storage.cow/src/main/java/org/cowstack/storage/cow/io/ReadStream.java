package org.cowstack.storage.cow.io;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where the reads of one open file stand, for read-ahead and drop-behind: the offset
 * the last read ended at, the first block of the sequential run it belongs to, the
 * read-ahead window and the read-ahead in flight. A hint only: threads sharing a handle
 * may race on it and cost each other read-ahead, never data.
 */
public final class ReadStream {
    /** The first read-ahead window, in bytes. */
    static final int INITIAL_WINDOW = 128 << 10;
    /** The largest read-ahead window, in bytes: how far ahead of the reader the device is read. */
    static final int MAX_WINDOW = 4 << 20;
    /** How long a read waits for the read-ahead of its blocks before it reads them itself. */
    private static final long WAIT_MILLIS = 200;

    /** Read-ahead in flight: file blocks {@code [from, to)}. */
    private record Ahead(long from, long to, Future<?> done) {
    }

    private long next;
    private long runStart;
    /** Blocks of the run before this one have been dropped behind already. */
    private long behind;
    private int window;
    /** File blocks before this one have been read ahead, or asked for. */
    private long issued;
    private final ArrayDeque<Ahead> inFlight = new ArrayDeque<>();

    /** The read-ahead window, in bytes, for a read of {@code length} at {@code offset}; 0: not sequential. */
    synchronized int advance(long offset, int length, int blockSize) {
        if (offset == next) {
            window = window == 0 ? INITIAL_WINDOW : Math.min(window * 2, MAX_WINDOW);
        } else {
            window = 0;
            runStart = offset / blockSize;
            behind = runStart;
            issued = 0;
        }
        next = offset + length;
        return window;
    }

    /** The block of the reader's position: those before it have been read. */
    synchronized long consumed(int blockSize) {
        return next / blockSize;
    }

    synchronized long behind() {
        return behind;
    }

    synchronized void behind(long block) {
        behind = Math.max(behind, block);
    }

    /**
     * The next range to read ahead, up to {@code passBlocks} long, so that the blocks up
     * to the window (at most {@code maxBlocks}) after {@code requestEnd} and below
     * {@code fileBlocks} are read or asked for; null when they are (or the stream is not
     * sequential).
     */
    synchronized long[] nextAhead(long requestEnd, long fileBlocks, int blockSize, int passBlocks, long maxBlocks) {
        if (window == 0) {
            return null;
        }
        long ahead = Math.min(window / blockSize, maxBlocks);
        long start = Math.max(issued, requestEnd);
        long target = Math.min(fileBlocks, requestEnd + ahead);
        long piece = Math.min(passBlocks, ahead) / 2;
        if (start >= target || target - start < piece && target < fileBlocks) {
            return null; // ahead enough: read ahead in large pieces
        }
        long end = Math.min(target, start + passBlocks);
        issued = end;
        return new long[] {start, end};
    }

    synchronized void inFlight(long from, long to, Future<?> done) {
        inFlight.add(new Ahead(from, to, done));
    }

    /**
     * Waits (a bounded time, holding no lock) for the read-ahead in flight over blocks
     * {@code [first, last]}, so the read finds them cached instead of reading them a
     * second time; forgets the read-ahead that is done.
     */
    void await(long first, long last) {
        Ahead[] pending;
        synchronized (this) {
            inFlight.removeIf(a -> a.done().isDone());
            pending = inFlight.stream().filter(a -> a.from() <= last && a.to() > first).toArray(Ahead[]::new);
        }
        for (Ahead a : pending) {
            try {
                a.done().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                return; // the read reads what is missing itself
            }
        }
    }
}
