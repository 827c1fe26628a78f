package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The GETs of an {@link S3Device}, none under its lock: the ranged GETs of the pieces of
 * a read that missed (in parallel), the whole-object fetches of a read-modify-write, and
 * the background fetches of read-ahead.
 *
 * <p>A whole-object fetch fills a slot that is not {@link ObjectCache.Slot#ready}; it
 * marks it ready, or frees it when the fetch failed, and wakes every waiter. A background
 * fetch that fails is forgotten: a read that needed the object finds no slot and issues
 * its own GET, so that error never fails nor hangs another request. {@link #close()}
 * cancels the background fetches and waits for those that started. The fields are
 * guarded by the device's lock.
 */
final class Fetches {
    /** A part of a read within one object: {@code piece} gets the object's bytes from {@code within}. */
    record Piece(long index, int within, ByteBuffer piece) {
    }

    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private final S3Device d;
    private final ExecutorService executor;
    private final List<Future<?>> background = new ArrayList<>();
    private int running;
    private boolean closed;

    Fetches(S3Device device, ExecutorService executor) {
        this.d = device;
        this.executor = executor;
    }

    /** Reads the pieces that missed the cache, all but the first on the executor, and waits for all. */
    void readAll(List<Piece> pieces) throws IOException {
        if (pieces.isEmpty()) {
            return;
        }
        List<Future<?>> others = new ArrayList<>();
        IOException failure = null;
        for (Piece p : pieces.subList(1, pieces.size())) {
            try {
                others.add(executor.submit(() -> {
                    read(p);
                    return null;
                }));
            } catch (RejectedExecutionException e) { // the provider is shutting down: here then
                failure = first(failure, () -> read(p));
            }
        }
        failure = first(failure, () -> read(pieces.get(0)));
        boolean interrupted = false;
        for (Future<?> f : others) {
            while (true) { // wait for every one: none may write into the caller's buffer after the return
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (failure == null) {
                        failure = c instanceof IOException io ? io : new IOException(c.toString(), c);
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private interface Io {
        void run() throws IOException;
    }

    private static IOException first(IOException failure, Io io) {
        try {
            io.run();
        } catch (IOException e) {
            return failure == null ? e : failure;
        }
        return failure;
    }

    /** One piece: from the cache once a fetch of its object in flight is done, else by a ranged GET. */
    private void read(Piece p) throws IOException {
        ByteBuffer piece = p.piece();
        for (int attempt = 0; ; attempt++) {
            String key;
            synchronized (d.lock) {
                ObjectCache.Slot slot;
                while ((slot = d.cache.get(p.index())) != null && !slot.ready) {
                    d.waitForChange();
                }
                if (slot != null) {
                    d.cache.read(slot, p.within(), piece);
                    return;
                }
                Long version = d.storedVersion(p.index());
                if (version == null) {
                    S3Device.zero(piece);
                    return;
                }
                key = Manifest.key(d.prefix, p.index(), version);
            }
            d.beforeGet(p.index(), false);
            byte[] bytes = d.s3.get(key, p.within(), piece.remaining());
            if (bytes != null) {
                piece.put(bytes, 0, Math.min(bytes.length, piece.remaining()));
                S3Device.zero(piece); // past the stored end: zeros (a short last object)
                return;
            }
            if (attempt > 0) { // a flush replaced it meanwhile, twice: the store lost it
                throw d.missing(key);
            }
        }
    }

    /**
     * Fetches the object whole into its slot, which is not ready: nobody else touches it
     * meanwhile, so it is filled without the lock. Then ready, or freed on failure.
     */
    void fetchWhole(long index, ObjectCache.Slot slot, String key) throws IOException {
        boolean done = false;
        try {
            d.beforeGet(index, true);
            byte[] content = d.s3.get(key);
            if (content == null) {
                throw d.missing(key);
            }
            byte[] whole = content.length == d.objectSize ? content : Arrays.copyOf(content, d.objectSize);
            d.cache.write(slot, 0, ByteBuffer.wrap(whole));
            done = true;
        } finally {
            synchronized (d.lock) {
                if (done) {
                    slot.ready = true;
                } else {
                    d.cache.drop(index, slot);
                }
                d.lock.notifyAll();
            }
        }
    }

    /**
     * Starts background fetches of the stored objects {@code from..to} that the cache
     * lacks, into clean or free slots only: never evicting dirty data nor growing the
     * cache, and at most half of the slots not dirty (skipped when the cache is full of
     * dirty data). Lock held.
     */
    void readAhead(long from, long to) {
        int room = d.cache.slots() - d.cache.dirtyCount();
        long last = Math.min(to, from + room / 2 - 1);
        for (long i = from; i <= last && !closed; i++) {
            if (d.cache.get(i) != null) { // cached or coming; a use, so the stream's objects stay longest
                continue;
            }
            Long version = d.storedVersion(i);
            if (version == null) {
                continue;
            }
            ObjectCache.Slot slot = d.cache.take(i);
            if (slot == null) {
                return; // every slot dirty or being fetched
            }
            slot.ready = false;
            d.readAheads.incrementAndGet();
            start(i, slot, Manifest.key(d.prefix, i, version));
        }
    }

    /** Lock held. */
    private void start(long index, ObjectCache.Slot slot, String key) {
        background.removeIf(Future::isDone);
        try {
            background.add(executor.submit(() -> {
                synchronized (d.lock) {
                    if (closed) {
                        return null;
                    }
                    running++;
                }
                try {
                    fetchWhole(index, slot, key);
                } catch (IOException | RuntimeException e) {
                    // forgotten: the slot is free again, and a reader that needs the object fetches it itself
                } finally {
                    synchronized (d.lock) {
                        running--;
                        d.lock.notifyAll();
                    }
                }
                return null;
            }));
        } catch (RejectedExecutionException e) {
            d.cache.drop(index, slot);
            d.lock.notifyAll();
        }
    }

    /** Cancels the background fetches (interrupting those running) and waits until none runs. */
    void close() throws InterruptedIOException {
        List<Future<?>> pending;
        synchronized (d.lock) {
            closed = true;
            pending = new ArrayList<>(background);
            background.clear();
        }
        pending.forEach(f -> f.cancel(true));
        synchronized (d.lock) {
            long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
            while (running > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return; // a GET that ignores its interrupt: its slot write fails on the closed file
                }
                try {
                    d.lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("s3:" + d.name + ": close interrupted");
                }
            }
        }
    }
}
