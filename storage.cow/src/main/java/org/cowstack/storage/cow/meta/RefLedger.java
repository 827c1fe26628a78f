package org.cowstack.storage.cow.meta;

import java.util.ArrayList;
import java.util.List;

/**
 * Reference-count changes of the running transaction, applied to the refcount tree at
 * commit (btrfs calls them delayed refs). Applying them changes trees, which copies
 * nodes, which allocates and frees blocks, which adds changes: the commit applies
 * until the ledger stays empty, which it does because a node is copied at most once
 * per transaction.
 */
public final class RefLedger {
    /**
     * One change: every block of {@code [start, start + length)} gains {@code delta}
     * references. {@code data} blocks have checksums to drop when they become free.
     */
    public record Change(long start, long length, int delta, boolean data) {
    }

    private List<Change> changes = new ArrayList<>();

    public synchronized void add(long start, long length, int delta, boolean data) {
        changes.add(new Change(start, length, delta, data));
    }

    /**
     * Every block of a file extent gains {@code delta} references: its first copy, and
     * its second ({@code dup} data) so that the copy lives and dies with it.
     */
    public synchronized void addExtent(org.cowstack.storage.cow.format.ExtentItem e, int delta) {
        changes.add(new Change(e.physical(), e.blocks(), delta, e.checksummed()));
        if (e.hasMirror()) {
            changes.add(new Change(e.mirror(), e.blocks(), delta, e.checksummed()));
        }
    }

    public synchronized List<Change> drain() {
        List<Change> taken = changes;
        changes = new ArrayList<>();
        return taken;
    }

    public synchronized boolean isEmpty() {
        return changes.isEmpty();
    }
}
