package org.cowstack.storage.cow.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The commit lock: writebacks write without it, and whoever takes it to commit waits for their writes. */
class CommitLockTest {
    /** Announces a write under the lock, as a writeback does, and lets go of the lock. */
    private static void startWrite(CommitLock lock) {
        lock.lockToPlace();
        try {
            lock.writeStarted();
        } finally {
            lock.unlock();
        }
    }

    @Test
    void lockWaitsForWritesInFlight() throws Exception {
        CommitLock lock = new CommitLock();
        startWrite(lock);
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> {
            lock.lock();
            lock.unlock();
        });
        Thread.sleep(200);
        assertFalse(commit.isDone(), "a commit took the lock while a writeback's data was being written");
        lock.writeDone();
        commit.get(10, TimeUnit.SECONDS);
        assertEquals(0, lock.writesInFlight());
    }

    @Test
    void placingDoesNotWaitForOthersWrites() throws Exception {
        CommitLock lock = new CommitLock();
        startWrite(lock);
        CompletableFuture.runAsync(() -> startWrite(lock)).get(10, TimeUnit.SECONDS);
        assertEquals(2, lock.writesInFlight());
        lock.writeDone();
        lock.writeDone();
        assertEquals(0, lock.writesInFlight());
    }

    @Test
    void reenteringDoesNotWait() throws Exception {
        CommitLock lock = new CommitLock();
        lock.lock(); // a clone holds it, and its writeback of the source range takes it again
        try {
            CompletableFuture.runAsync(() -> {
                // no other thread can announce a write while the lock is held elsewhere
                assertFalse(lock.tryLock());
            }).get(10, TimeUnit.SECONDS);
            lock.lockToPlace();
            lock.writeStarted();
            lock.unlock();
            assertTrue(lock.isHeldByCurrentThread());
            lock.lock(); // re-entered: does not wait for its own write
            lock.unlock();
            lock.writeDone();
        } finally {
            lock.unlock();
        }
    }

    @Test
    void aWriteIsAnnouncedUnderTheLock() {
        CommitLock lock = new CommitLock();
        assertThrows(IllegalMonitorStateException.class, lock::writeStarted);
    }
}
