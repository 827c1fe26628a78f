package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.RefRun;

/**
 * Per-block reference counts in the refcount tree, stored as {@link RefRun runs} of
 * equal counts. Applying the reference-count ledger (at commit, and whenever current
 * counts are asked for) keeps the free-space tree following every 0 &lt;-&gt; n
 * transition; a block that becomes free has its checksums dropped and its reuse
 * deferred until the commit is durable.
 */
public final class RefCounts {
    /** Where blocks that lost their last reference go: reusable once the running transaction is durable. */
    @FunctionalInterface
    public interface PendingFrees {
        void freeLater(long start, long blocks);
    }

    private final BTree refs;
    private final FreeSpaceTree free;
    private final Checksums checksums;
    private final PendingFrees pending;
    private final ChangeListener changes;
    private final Unmapped unmapped;
    private long usedBlocks;
    /**
     * Blocks that lost a reference in the running transaction but kept others: the last
     * committed state may still share them, so they must not be overwritten in place
     * until the next commit. start -> length.
     */
    private final TreeMap<Long, Long> droppedThisTransaction = new TreeMap<>();

    /**
     * Checks that no file maps blocks that lost their last counted reference (the back
     * references): a count lower than the extents that share a block must not free it
     * while a file still maps it, nor a node pointer that names a file's block free that.
     */
    @FunctionalInterface
    public interface Unmapped {
        /** @throws Corruption when a file still maps one of the blocks */
        void checkUnmapped(long start, long blocks) throws IOException;
    }

    public RefCounts(BTree refs, FreeSpaceTree free, Checksums checksums, PendingFrees pending,
            ChangeListener changes, long usedBlocks) {
        this(refs, free, checksums, pending, changes, usedBlocks, (start, blocks) -> { });
    }

    public RefCounts(BTree refs, FreeSpaceTree free, Checksums checksums, PendingFrees pending,
            ChangeListener changes, long usedBlocks, Unmapped unmapped) {
        this.unmapped = unmapped;
        this.refs = refs;
        this.free = free;
        this.checksums = checksums;
        this.pending = pending;
        this.changes = changes;
        this.usedBlocks = usedBlocks;
    }

    /** Blocks with at least one reference, as of the changes applied so far. */
    public long usedBlocks() {
        return usedBlocks;
    }

    /** Applies the ledger until applying it adds nothing more. */
    public void apply(RefLedger ledger) throws IOException {
        while (!ledger.isEmpty()) {
            for (RefLedger.Change c : ledger.drain()) {
                apply(c);
            }
        }
    }

    private void apply(RefLedger.Change c) throws IOException {
        long pos = c.start();
        long end = c.start() + c.length();
        while (pos < end) {
            RefRun run = runAt(pos);
            long segEnd = Math.min(end, run.end());
            int updated = run.count() + c.delta();
            long at = pos;
            Corruption.check(updated >= 0, () -> "blocks " + at + ".." + segEnd + " would have " + updated
                    + " references (had " + run.count() + ")");
            if (run.count() > 0) {
                refs.delete(run.key());
                if (run.start() < pos) {
                    putRun(run.start(), pos - run.start(), run.count());
                }
                if (segEnd < run.end()) {
                    putRun(segEnd, run.end() - segEnd, run.count());
                }
            }
            if (updated > 0) {
                putRun(pos, segEnd - pos, updated);
            }
            long n = segEnd - pos;
            if (c.delta() < 0 && updated > 0) {
                markDropped(pos, segEnd);
            }
            if (run.count() == 0 && updated > 0) {
                free.take(pos, n);
                usedBlocks += n;
            } else if (run.count() > 0 && updated == 0) {
                unmapped.checkUnmapped(pos, n);
                free.add(pos, n);
                usedBlocks -= n;
                if (c.data()) {
                    checksums.delete(pos, n);
                }
                pending.freeLater(pos, n);
                changes.freed(pos, n);
            }
            pos = segEnd;
        }
    }

    /**
     * The run holding block {@code pos}: a stored run, or the free gap up to the next
     * stored run (count 0; it may reach far past the blocks the caller cares about).
     */
    private RefRun runAt(long pos) throws IOException {
        BTree.Entry e = refs.floor(RefRun.key(pos));
        if (e != null && e.key().type() == ItemType.REFCOUNT) {
            RefRun r = RefRun.decode(e.key(), e.value());
            if (r.end() > pos) {
                return r;
            }
        }
        BTree.Entry next = refs.ceiling(RefRun.key(pos));
        long gapEnd = next != null && next.key().type() == ItemType.REFCOUNT ? next.key().objectId()
                : Long.MAX_VALUE;
        return new RefRun(pos, gapEnd - pos, 0);
    }

    /** Adds [start, end) to the dropped set, which stays a set of disjoint, non-touching runs. */
    private void markDropped(long start, long end) {
        var before = droppedThisTransaction.floorEntry(start);
        if (before != null && before.getKey() + before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getKey() + before.getValue());
            droppedThisTransaction.remove(before.getKey());
        }
        for (var it = droppedThisTransaction.subMap(start, true, end, true).entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            end = Math.max(end, e.getKey() + e.getValue());
            it.remove();
        }
        droppedThisTransaction.put(start, end - start);
    }

    /** A new transaction starts: its predecessor's drops are committed. */
    public void transactionCommitted() {
        droppedThisTransaction.clear();
    }

    /**
     * Splits {@code [physical, physical + length)} by reference count, as of the changes
     * applied so far: runs in block order, free blocks as runs of count 0, each clipped
     * to the range.
     */
    public List<RefRun> runs(long physical, long length) throws IOException {
        List<RefRun> out = new ArrayList<>();
        long pos = physical;
        long end = physical + length;
        while (pos < end) {
            RefRun r = runAt(pos);
            long runEnd = Math.min(end, r.end());
            out.add(new RefRun(pos, runEnd - pos, r.count()));
            pos = runEnd;
        }
        return out;
    }

    /**
     * Which blocks of {@code [physical, physical + length)} their one owner may overwrite
     * in place: exactly one reference now, and none dropped since the last commit (which
     * may still reference them from another file).
     */
    public boolean[] exclusive(long physical, int length) throws IOException {
        boolean[] out = new boolean[length];
        for (RefRun run : runs(physical, length)) {
            if (run.count() == 1) {
                Arrays.fill(out, (int) (run.start() - physical), (int) (run.end() - physical), true);
            }
        }
        var before = droppedThisTransaction.floorEntry(physical);
        long from = before != null && before.getKey() + before.getValue() > physical ? before.getKey() : physical;
        for (var d : droppedThisTransaction.subMap(from, true, physical + length, false).entrySet()) {
            long a = Math.max(physical, d.getKey());
            long b = Math.min(physical + length, d.getKey() + d.getValue());
            Arrays.fill(out, (int) (a - physical), (int) (b - physical), false);
        }
        return out;
    }

    /**
     * Checks that no stored run covers a block of {@code [start, start + length)}: what
     * mount asks of every extent the free-space tree lists, so that a free-space tree
     * that disagrees with the counts never hands out a block that is in use.
     *
     * @throws Corruption when one does
     */
    public void checkFree(long start, long length) throws IOException {
        RefRun r = runAt(start);
        Corruption.check(r.count() == 0 && r.end() >= start + length, () -> "free extent " + start + "+" + length
                + " of the free-space tree holds referenced blocks (the refcount tree counts "
                + (r.count() > 0 ? r : "blocks from " + r.end()) + ")");
    }

    /** Sees one stored run; answers whether to go on. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(RefRun run) throws IOException;
    }

    /** Every stored run (count at least 1), in block order, as of the changes applied so far. */
    public void forEach(Visitor visitor) throws IOException {
        refs.scanAll((k, v) -> visitor.visit(RefRun.decode(k, v)));
    }

    /** Blocks referenced more than once, as of the changes applied so far. */
    public long sharedBlocks() throws IOException {
        long[] shared = {0};
        forEach(r -> {
            if (r.shared()) {
                shared[0] += r.blocks();
            }
            return true;
        });
        return shared[0];
    }

    /** Inserts a run, merging with a neighbour of the same count that touches it. */
    private void putRun(long start, long length, int count) throws IOException {
        BTree.Entry before = refs.floor(RefRun.key(start - 1));
        if (before != null && before.key().type() == ItemType.REFCOUNT) {
            RefRun b = RefRun.decode(before.key(), before.value());
            if (b.end() == start && b.count() == count) {
                refs.delete(b.key());
                start = b.start();
                length += b.blocks();
            }
        }
        byte[] afterValue = refs.get(RefRun.key(start + length));
        if (afterValue != null) {
            RefRun a = RefRun.decode(RefRun.key(start + length), afterValue);
            if (a.count() == count) {
                refs.delete(a.key());
                length += a.blocks();
            }
        }
        RefRun run = new RefRun(start, length, count);
        refs.put(run.key(), run.encode());
    }
}
