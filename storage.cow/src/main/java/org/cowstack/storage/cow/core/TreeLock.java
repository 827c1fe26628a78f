package org.cowstack.storage.cow.core;

import java.io.IOException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.space.Allocator;

/**
 * The lock over a volume's trees: shared by readers (who hold it across their device
 * reads, so no block they read is reused under them), exclusive for changes. Every
 * tree access goes through {@link #reading} or {@link #changing}, so metadata that
 * breaks the format always reaches the caller as a {@link CorruptImageException}
 * naming the device, never as a bare runtime exception.
 */
public final class TreeLock {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String device;
    private final BooleanSupplier writable;
    private final Allocator allocator;

    TreeLock(String device, BooleanSupplier writable, Allocator allocator) {
        this.device = device;
        this.writable = writable;
        this.allocator = allocator;
    }

    /** Runs {@code query} under the shared lock. */
    public <T> T reading(Query<T> query) throws IOException {
        return under(lock.readLock(), query);
    }

    /** Runs {@code update} under the exclusive lock. */
    public void changing(Update update) throws IOException {
        under(lock.writeLock(), () -> {
            update.run();
            return null;
        });
    }

    /** Runs {@code query} under the exclusive lock and answers its value. */
    public <T> T changing(Query<T> query) throws IOException {
        return under(lock.writeLock(), query);
    }

    private <T> T under(Lock l, Query<T> query) throws IOException {
        l.lock();
        try {
            if (l == lock.writeLock() && writable.getAsBoolean()) {
                // A change may allocate metadata nodes half-way: without the policy it must
                // not start. (The policy cannot go before the operation ends: see VolumeBindings.)
                allocator.policy();
            }
            return query.run();
        } catch (Corruption e) {
            throw corrupt(e);
        } finally {
            l.unlock();
        }
    }

    /** The exclusive lock itself, for a commit that handles failures its own way. */
    public Lock exclusive() {
        return lock.writeLock();
    }

    /** The shared lock itself, for a walk that takes it with other locks (an audit). */
    public Lock shared() {
        return lock.readLock();
    }

    /** Corrupt metadata, reported as the image's fault. */
    public CorruptImageException corrupt(Corruption e) {
        return new CorruptImageException(device, e.getMessage(), e);
    }
}
