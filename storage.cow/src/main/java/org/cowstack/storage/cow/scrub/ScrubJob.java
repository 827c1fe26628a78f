package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.scrub.Scrub;
import org.cowstack.storage.api.scrub.ScrubOptions;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.cow.meta.StatusStore;

/**
 * The scrub job of one mounted volume: a daemon thread ({@code scrub-VOLUME}) that drives
 * a {@link ScrubTarget} a piece ({@value #PIECE} bytes) at a time, keeping to a rate
 * limit (a token bucket on bytes, changed while it runs), and persisting its cursor and
 * tally (the status tree, then a commit) when it pauses, ends, and every
 * {@value #PERSIST_BYTES} bytes or {@value #PERSIST_MILLIS} ms while it runs. The cursor
 * and the tally are persisted together between pieces, so a resume, even after a crash,
 * counts every block exactly once: a scrub found {@code RUNNING} in the status tree at
 * mount was interrupted, and loads as {@code PAUSED}.
 *
 * <p>Its state is guarded by its monitor, which is never held while the target reads
 * or a commit runs. {@link #stop} (unmount) must be called outside the volume's gate:
 * the job's last commit enters it.
 */
public final class ScrubJob implements Scrub {
    /** Bytes the target is asked for at once (it may read a little more: whole extents). */
    static final long PIECE = 4L << 20;
    static final long PERSIST_BYTES = 64L << 20;
    static final long PERSIST_MILLIS = 5000;
    /** The window the rate is measured over. */
    static final long RATE_WINDOW_NANOS = 5_000_000_000L;

    /** Where the job's record lives: the volume's status tree, committed by the volume's commit. */
    public interface Store {
        /** The record stored (or put) last, or null. */
        StatusStore.ScrubRecord stored();

        /** Replaces the record in the running transaction; {@code sameScrub}: an update of the one put last. */
        void put(StatusStore.ScrubRecord r, boolean sameScrub);

        /** Makes it durable (a no-op on a read-only volume: the record stays in memory). */
        void commit() throws IOException;
    }

    /** What the job asks of its volume. */
    public interface Host {
        boolean readOnly();

        /** Fails unless the volume serves (not failed, not unmounted). */
        void checkUsable() throws IOException;
    }

    private enum Request { NONE, PAUSE, CANCEL, STOP }

    private final String volume;
    private final ScrubTarget target;
    private final Store store;
    private final Host host;

    // Guarded by this.
    private ScrubState state = ScrubState.NEVER;
    private boolean repair;
    private long limit;
    private long cursor;
    private long bytesTotal;
    private Instant started;
    private Instant ended;
    private String failure;
    private ScrubTally tally = new ScrubTally();
    private Request request = Request.NONE;
    private boolean persistOnStop = true;
    private Thread thread;
    private double tokens;
    private long tokensAt;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();
    private volatile long persistBytes = PERSIST_BYTES;
    private volatile long persistMillis = PERSIST_MILLIS;

    public ScrubJob(String volume, ScrubTarget target, Store store, Host host) {
        this.volume = volume;
        this.target = target;
        this.store = store;
        this.host = host;
    }

    /** How often a running scrub persists its position (tests shorten it to see what a crash keeps). */
    public void persistEvery(long bytes, long millis) {
        persistBytes = bytes;
        persistMillis = millis;
    }

    /** Takes the persisted record (at mount): a scrub that was running was interrupted, and is paused. */
    public synchronized void load() {
        StatusStore.ScrubRecord r = store.stored();
        if (r == null) {
            return;
        }
        state = r.state() == ScrubState.RUNNING ? ScrubState.PAUSED : r.state();
        repair = r.repair();
        limit = r.limit();
        cursor = r.cursor();
        bytesTotal = r.bytesTotal();
        started = r.started();
        ended = r.ended();
        failure = r.failure();
        tally = new ScrubTally(r.bytesDone(), r.blocksChecked(), r.errors(), r.corrected(), r.uncorrectable(),
                r.unverified(), r.damaged());
    }

    private String what() {
        return "scrub of volume " + volume;
    }

    // ------------------------------------------------------------------ Scrub

    @Override
    public ScrubStatus start(ScrubOptions options) throws IOException {
        host.checkUsable();
        if (options.repair() && host.readOnly()) {
            throw new ReadOnlyException("volume " + volume + " (a scrub that repairs writes; start it read-only)");
        }
        synchronized (this) {
            if (state == ScrubState.RUNNING || state == ScrubState.PAUSED) {
                throw new BusyException(what(), "a scrub is " + state.name().toLowerCase()
                        + (state == ScrubState.PAUSED ? "; resume or cancel it first" : "; pause or cancel it first"));
            }
            bytesTotal = target.totalBytes();
            repair = options.repair();
            limit = options.limit();
            cursor = 0;
            started = Instant.now().truncatedTo(ChronoUnit.MILLIS); // as the status tree keeps it
            ended = null;
            failure = null;
            tally = new ScrubTally();
            put(ScrubState.RUNNING, false);
            run();
            return status();
        }
    }

    @Override
    public synchronized ScrubStatus status() {
        long done = Math.min(tally.bytesDone(), bytesTotal);
        return new ScrubStatus(state, repair, bytesTotal, done, state == ScrubState.RUNNING ? rate() : 0, limit,
                started, ended, tally.blocksChecked(), tally.errors(), tally.corrected(), tally.uncorrectable(),
                tally.unverified(), tally.damaged(), failure);
    }

    @Override
    public ScrubStatus pause() throws IOException {
        Thread t;
        synchronized (this) {
            if (state != ScrubState.RUNNING) {
                throw new InvalidArgumentException(what(), state.name().toLowerCase(), "a running scrub to pause");
            }
            t = ask(Request.PAUSE);
        }
        join(t);
        return status();
    }

    @Override
    public ScrubStatus resume() throws IOException {
        host.checkUsable();
        synchronized (this) {
            if (state != ScrubState.PAUSED) {
                throw new InvalidArgumentException(what(), state.name().toLowerCase(), "a paused scrub to resume");
            }
            if (repair && host.readOnly()) {
                throw new ReadOnlyException("volume " + volume + " (the paused scrub repairs; cancel it and start "
                        + "one read-only)");
            }
            // The volume may have changed while paused: the total is taken again, never below what was done.
            bytesTotal = Math.max(target.totalBytes(), tally.bytesDone());
            if (cursor < 0) {
                finish(ScrubState.FINISHED, null);
                return status();
            }
            put(ScrubState.RUNNING, true);
            run();
            return status();
        }
    }

    @Override
    public ScrubStatus cancel() throws IOException {
        Thread t = null;
        synchronized (this) {
            if (state == ScrubState.RUNNING) {
                t = ask(Request.CANCEL);
            } else if (state == ScrubState.PAUSED) {
                finish(ScrubState.CANCELLED, null);
            } else {
                throw new InvalidArgumentException(what(), state.name().toLowerCase(),
                        "a running or paused scrub to cancel");
            }
        }
        if (t != null) {
            join(t);
        } else {
            persist();
        }
        return status();
    }

    @Override
    public ScrubStatus limit(long bytesPerSecond) throws IOException {
        if (bytesPerSecond < 0) {
            throw new InvalidArgumentException("scrub rate limit", bytesPerSecond, "bytes per second >= 0, 0 for none");
        }
        synchronized (this) {
            limit = bytesPerSecond;
            tokens = Math.min(tokens, bytesPerSecond);
            notifyAll();
            return status();
        }
    }

    @Override
    public synchronized ScrubStatus await(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (state == ScrubState.RUNNING) {
            long left = (end - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        return status();
    }

    /**
     * Stops the thread (unmount, abandon): with {@code persist}, a running scrub is paused
     * and its position committed; without (a crash), the thread only ends, and what was
     * last persisted stands. Not inside the volume's gate.
     */
    public void stop(boolean persist) {
        Thread t;
        synchronized (this) {
            if (thread == null) {
                return;
            }
            persistOnStop = persist;
            t = ask(Request.STOP);
            if (!persist) {
                t.interrupt();
            }
        }
        try {
            join(t);
        } catch (IOException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ the thread

    /** Monitor held. */
    private Thread ask(Request r) {
        request = r;
        notifyAll();
        return thread;
    }

    private static void join(Thread t) throws IOException {
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for the scrub to stop");
        }
    }

    /** Monitor held: starts the thread for a scrub in state RUNNING. */
    private void run() {
        request = Request.NONE;
        persistOnStop = true;
        tokens = 0;
        tokensAt = System.nanoTime();
        samples.clear();
        samples.add(new long[] {tokensAt, tally.bytesDone()});
        Thread t = new Thread(this::loop, "scrub-" + volume);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void loop() {
        long persistedBytes;
        long persistedAt = System.nanoTime();
        synchronized (this) {
            persistedBytes = tally.bytesDone();
        }
        ScrubState end = null;
        String why = null;
        try {
            while (true) {
                long from;
                long piece;
                boolean fix;
                synchronized (this) {
                    if (!throttle()) {
                        break;
                    }
                    from = cursor;
                    piece = limit > 0 ? Math.max(64L << 10, Math.min(PIECE, limit / 4)) : PIECE;
                    fix = repair;
                }
                long before = tally.bytesDone();
                long next = target.scrub(from, piece, fix, tally);
                long done = tally.bytesDone();
                synchronized (this) {
                    cursor = next;
                    tokens -= done - before;
                    long now = System.nanoTime();
                    samples.add(new long[] {now, done});
                    while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_NANOS) {
                        samples.removeFirst();
                    }
                }
                if (next < 0) {
                    end = ScrubState.FINISHED;
                    break;
                }
                if (done - persistedBytes >= persistBytes
                        || System.nanoTime() - persistedAt >= persistMillis * 1_000_000L) {
                    synchronized (this) {
                        put(ScrubState.RUNNING, true);
                    }
                    try {
                        store.commit();
                    } catch (IOException e) {
                        // kept in the transaction: the next commit (or this job's next try) stores it
                    }
                    persistedBytes = done;
                    persistedAt = System.nanoTime();
                }
            }
        } catch (java.io.InterruptedIOException e) {
            // stopped without persisting (a crash of the volume): nothing more to do
        } catch (IOException | RuntimeException e) {
            end = ScrubState.FAILED;
            why = oneLine(e);
        }
        boolean persist;
        synchronized (this) {
            Request r = request;
            if (end == null) {
                end = r == Request.CANCEL ? ScrubState.CANCELLED : ScrubState.PAUSED;
            }
            persist = r != Request.STOP || persistOnStop;
            if (end == ScrubState.PAUSED) {
                put(ScrubState.PAUSED, true);
            } else {
                finish(end, why);
            }
            thread = null;
            request = Request.NONE;
        }
        if (persist) {
            persist();
        }
        synchronized (this) {
            notifyAll();
        }
    }

    /**
     * Monitor held: waits until the bucket holds tokens again (a rate limit) or a request
     * comes. Answers false when the job should stop reading.
     */
    private boolean throttle() {
        while (request == Request.NONE) {
            long now = System.nanoTime();
            if (limit <= 0) {
                tokens = 0;
                tokensAt = now;
                return true;
            }
            tokens = Math.min(limit, tokens + (now - tokensAt) / 1e9 * limit);
            tokensAt = now;
            if (tokens >= 0) {
                return true;
            }
            long waitMillis = Math.max(1, (long) Math.ceil(-tokens * 1000 / limit));
            try {
                wait(Math.min(waitMillis, 1000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Monitor held: the recent rate, in bytes per second. */
    private long rate() {
        if (samples.size() < 2) {
            return 0;
        }
        long[] first = samples.peekFirst();
        long[] last = samples.peekLast();
        long nanos = Math.max(System.nanoTime() - first[0], 1);
        return (long) ((last[1] - first[1]) * 1e9 / nanos);
    }

    /** Monitor held: the job ends in {@code s}. */
    private void finish(ScrubState s, String why) {
        ended = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        failure = why;
        if (s == ScrubState.FINISHED) {
            cursor = -1;
        }
        put(s, true);
    }

    /** Monitor held: the record as of now, into the running transaction. */
    private void put(ScrubState s, boolean sameScrub) {
        state = s;
        store.put(new StatusStore.ScrubRecord(s, repair, cursor, limit, bytesTotal, started, ended,
                tally.bytesDone(), tally.blocksChecked(), tally.errors(), tally.corrected(), tally.uncorrectable(),
                tally.unverified(), failure, tally.damaged()), sameScrub);
    }

    /** Commits the record; a volume that cannot commit now keeps it for its next commit. */
    private void persist() {
        try {
            store.commit();
        } catch (IOException | RuntimeException e) {
            // the record stays in the running transaction (or the volume failed and it is moot)
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
