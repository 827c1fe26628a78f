package org.cowstack.storage.cow.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import org.cowstack.storage.cow.meta.ChangeListener;

/**
 * Rewrites of bad first copies of file data from their good second copies, found by
 * reads (which hold the tree lock, so cannot write in place) and made here on a thread
 * of their own, soon after, under the locks that keep every writer of those blocks
 * out: the file's lock (direct writes in place), the commit lock (which waits for
 * writebacks in flight) and the tree lock.
 *
 * <p>A repair is made only if the blocks still hold what was read: neither rewritten in
 * place nor freed since (both are told through the change hook), and their stored
 * checksums unchanged. Otherwise the newer write went to both copies and there is
 * nothing left to repair.
 */
public final class Repairs implements ChangeListener {
    /** One pending rewrite: {@code good} is the verified second copy of the blocks from {@code physical}. */
    private record Repair(long inode, long physical, int blocks, ByteBuffer good, byte[] digests, long seq) {
    }

    private final VolumeCore core;
    private final ArrayDeque<Repair> queue = new ArrayDeque<>();
    /** Blocks rewritten or freed while repairs were pending: {seq, physical, blocks}. */
    private final List<long[]> changed = new ArrayList<>();
    private long seq;
    /** A worker drains the queue; set and cleared under this monitor. */
    private boolean draining;
    private long done;
    private long skipped;
    /** A repair taken off the queue is being made. */
    private boolean busy;

    public Repairs(VolumeCore core) {
        this.core = core;
    }

    /** A sequence number to take before reading blocks that may need repair. */
    public synchronized long mark() {
        return seq;
    }

    /**
     * Queues the rewrite of {@code blocks} blocks from {@code physical} (owned by
     * {@code inode}) with {@code good}, read with the sequence number {@code since};
     * {@code digests} are their stored checksums (null: not checksummed).
     */
    public synchronized void queue(long inode, long physical, int blocks, ByteBuffer good, byte[] digests,
            long since) {
        queue.add(new Repair(inode, physical, blocks, good, digests, since));
        if (!draining) { // decided under this monitor: a worker that saw the queue empty has stopped taking
            draining = true;
            Thread worker = new Thread(this::drain, "repair-" + core.name);
            worker.setDaemon(true);
            worker.start();
        }
    }

    @Override
    public void rewritten(long physical, long blocks) {
        note(physical, blocks);
    }

    @Override
    public void freed(long physical, long blocks) {
        note(physical, blocks);
    }

    private synchronized void note(long physical, long blocks) {
        seq++;
        if (!queue.isEmpty()) {
            changed.add(new long[] {seq, physical, blocks});
        }
    }

    /** Makes every queued repair; returns when the queue is empty. Holds no engine lock on entry. */
    private void drain() {
        while (true) {
            Repair r;
            synchronized (this) {
                r = queue.poll();
                if (r == null) {
                    changed.clear();
                    draining = false;
                    notifyAll();
                    return;
                }
                busy = true;
            }
            try {
                make(r);
            } catch (IOException | RuntimeException e) {
                // not made now: the next read or scrub that finds the blocks bad queues it again
                synchronized (this) {
                    skipped++;
                }
            } finally {
                synchronized (this) {
                    busy = false;
                    notifyAll();
                }
            }
        }
    }

    /** Waits until no repair is queued (tests, and a scrub's end). */
    public synchronized void await() throws InterruptedException {
        while (!queue.isEmpty() || busy) {
            wait(100);
        }
    }

    public synchronized long made() {
        return done;
    }

    private void make(Repair r) throws IOException {
        if (core.readOnly() || core.failure() != null) {
            return;
        }
        try (FileLocks.Held held = core.fileLocks.lock(r.inode())) {
            core.commitLock.lock();
            try {
                core.treeLock.reading(() -> {
                    if (stillAsRead(r)) {
                        core.device.write(r.good().duplicate(), r.physical() * core.blockSize);
                        synchronized (this) {
                            done++;
                        }
                    } else {
                        synchronized (this) {
                            skipped++;
                        }
                    }
                    return null;
                });
            } finally {
                core.commitLock.unlock();
            }
        }
    }

    private boolean stillAsRead(Repair r) throws IOException {
        synchronized (this) {
            for (Iterator<long[]> it = changed.iterator(); it.hasNext(); ) {
                long[] c = it.next();
                if (c[0] > r.seq() && c[1] < r.physical() + r.blocks() && r.physical() < c[1] + c[2]) {
                    return false;
                }
            }
        }
        if (r.digests() != null) {
            byte[] now = core.checksums.lookup(r.physical(), r.blocks());
            return now != null && Arrays.equals(now, r.digests());
        }
        return true;
    }
}
