package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.device.MediaErrors;
import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.cow.core.VolumeCore;

/**
 * What a volume does when its device reports a bad range by itself (persistent-memory
 * poison, {@code faulty:}'s injected poison; see {@link MediaErrors}): on a thread of its
 * own, it finds what the range hurts, every node and every file range with a copy there,
 * repairs each from its other copy where there is one, and records the rest as damaged
 * (with one copy of metadata the volume goes read-only). No process is killed and no
 * other block is touched.
 *
 * <p>Each response is kept (the last {@value #KEPT}) with the time from the report to
 * the owners being known, and to the end of the repairs.
 */
public final class MediaErrorResponse implements MediaErrors.Listener {
    static final int KEPT = 64;

    /**
     * One response: the range reported, what was found (each damaged range with its
     * owners, repaired or not), nanoseconds from the report to the owners known and to
     * the repairs written.
     */
    public record Response(long offset, long length, List<DamagedRange> damaged, long ownersNanos, long doneNanos,
            String failure) {
    }

    private final VolumeCore core;
    private final ScrubPass pass;
    private final ExecutorService worker;
    private final Deque<Response> responses = new ArrayDeque<>();

    public MediaErrorResponse(VolumeCore core, ScrubPass pass) {
        this.core = core;
        this.pass = pass;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "media-errors-" + core.name);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void mediaError(long offset, long length) {
        long told = System.nanoTime();
        long first = offset / core.blockSize;
        core.changes.mediaError(first, (offset + length + core.blockSize - 1) / core.blockSize - first);
        try {
            worker.execute(() -> respond(offset, length, told));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the volume is unmounting: the next mount's scrub finds the range
        }
    }

    private void respond(long offset, long length, long told) {
        int bs = core.blockSize;
        long first = offset / bs;
        long end = (offset + length + bs - 1) / bs;
        ScrubTally tally = new ScrubTally();
        boolean repair = !core.readOnly();
        String failure = null;
        long owners = 0;
        try {
            pass.scrubNodesIn(first, end, repair, tally);
            long since = core.repairs.mark();
            for (long b = first; b < end; b++) {
                pass.examine(b, repair, since, tally);
            }
            owners = System.nanoTime() - told;
            core.repairs.await();
        } catch (IOException | RuntimeException e) {
            failure = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        Response r = new Response(offset, length, tally.damaged(), owners, System.nanoTime() - told, failure);
        synchronized (responses) {
            responses.addLast(r);
            while (responses.size() > KEPT) {
                responses.removeFirst();
            }
            responses.notifyAll();
        }
    }

    /** The responses kept, oldest first. */
    public List<Response> responses() {
        synchronized (responses) {
            return new ArrayList<>(responses);
        }
    }

    /** Waits until {@code count} responses were made since the volume was mounted (or the time is up). */
    public List<Response> await(int count, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (responses) {
            while (responses.size() < count && System.currentTimeMillis() < deadline) {
                responses.wait(Math.max(1, deadline - System.currentTimeMillis()));
            }
            return new ArrayList<>(responses);
        }
    }

    /** Stops taking reports; the one being answered finishes. */
    public void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
