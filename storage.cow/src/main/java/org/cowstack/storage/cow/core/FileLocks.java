package org.cowstack.storage.cow.core;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The locks that order the writes to one file: striped by inode number, so a volume
 * with many files needs no lock per file. Taken before the commit lock and the tree
 * lock; two files are locked in stripe order, so two such calls cannot deadlock.
 */
public final class FileLocks {
    private static final int STRIPES = 64;

    /** A file lock (or two) held; closing releases it. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /** Per stripe, what releases it: made once, so taking a lock allocates nothing. */
    private final Held[] releases = new Held[STRIPES];

    public FileLocks() {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
            releases[i] = stripes[i]::unlock;
        }
    }

    private static int stripe(long inode) {
        return Math.floorMod(inode * 0x9E3779B97F4A7C15L >>> 40, STRIPES);
    }

    /** Locks one file. */
    public Held lock(long inode) {
        int i = stripe(inode);
        stripes[i].lock();
        return releases[i];
    }

    /** Locks two files (in stripe order). */
    public Held lock(long a, long b) {
        ReentrantLock first = stripes[Math.min(stripe(a), stripe(b))];
        ReentrantLock second = stripes[Math.max(stripe(a), stripe(b))];
        first.lock();
        second.lock();
        return () -> {
            second.unlock();
            first.unlock();
        };
    }
}
