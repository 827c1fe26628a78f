package org.cowstack.storage.cow.core;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One commit at a time, and no commit while writeback data is on its way to the device.
 *
 * <p>A writeback (write-behind of a streaming file, memory pressure, the range a clone
 * or dedupe shares) places its pages under this lock, but writes their data after
 * letting go of it, announced by {@link #writeStarted()} and {@link #writeDone()}:
 * writebacks of different files then reach the device side by side instead of one
 * after the other, which is where several streaming writers spent half their time
 * (waiting here while another writer's megabytes went to the device).
 *
 * <p>{@link #lock()}, as a commit, clone, dedupe or audit takes it, also waits until
 * every such write is done: a commit must not make durable trees that map blocks whose
 * data is still being written, and whoever reads those blocks back after a writeback
 * must find the data there. While the lock is held no new write can start (a writeback
 * announces its write while it holds the lock), so the wait ends. A writeback that only
 * places pages takes {@link #lockToPlace()}, which does not wait for the writes of
 * others.
 */
public final class CommitLock extends ReentrantLock {
    private static final long serialVersionUID = 1L;

    /** Guards {@link #writing}; writes that end notify it. */
    private final Object writes = new Object();
    /** Data writes of writebacks announced and not done yet. */
    private int writing;

    /** Takes the lock, and once it is held (not re-entered) waits until no writeback data is being written. */
    @Override
    public void lock() {
        super.lock();
        if (getHoldCount() == 1) {
            awaitWrites();
        }
    }

    /** Takes the lock to place pages, without waiting for the data writes of other writebacks. */
    public void lockToPlace() {
        super.lock();
    }

    /**
     * A writeback placed its pages and will write their data without the lock: called
     * with the lock held; {@link #writeDone()} must follow, whatever happens.
     */
    public void writeStarted() {
        if (!isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("a writeback announces its write while it holds the commit lock");
        }
        synchronized (writes) {
            writing++;
        }
    }

    /** The data write announced by {@link #writeStarted()} is over (written or failed). */
    public void writeDone() {
        synchronized (writes) {
            if (--writing == 0) {
                writes.notifyAll();
            }
        }
    }

    /** Data writes of writebacks in flight now. */
    public int writesInFlight() {
        synchronized (writes) {
            return writing;
        }
    }

    /** Waits until no writeback data is being written; called with the lock held, so none can start. */
    public void awaitWrites() {
        boolean interrupted = false;
        synchronized (writes) {
            while (writing > 0) {
                try {
                    writes.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // as lock(): not interruptible, the interrupt is kept
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
