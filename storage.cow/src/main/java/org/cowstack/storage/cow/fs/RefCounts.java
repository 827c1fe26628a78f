package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.cowstack.storage.space.SpaceMap;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.RefRun;

/**
 * Applies the reference-count ledger at commit: per-block counts in the refcount tree
 * (as runs of equal counts), the free-space tree following every 0 <-> n transition,
 * and, for blocks that become free, their checksums dropped and their reuse deferred
 * until the commit is durable.
 */
final class RefCounts {
    private final BTree refs;
    private final BTree free;
    private final Checksums checksums;
    private final SpaceMap space;
    private long usedBlocks;
    /**
     * Blocks that lost a reference in the running transaction but kept others: the last
     * committed state may still share them, so they must not be overwritten in place
     * until the next commit. start -> length.
     */
    private final java.util.TreeMap<Long, Long> droppedThisTransaction = new java.util.TreeMap<>();

    RefCounts(BTree refs, BTree free, Checksums checksums, SpaceMap space, long usedBlocks) {
        this.refs = refs;
        this.free = free;
        this.checksums = checksums;
        this.space = space;
        this.usedBlocks = usedBlocks;
    }

    /** Blocks with at least one reference, as of the changes applied so far. */
    long usedBlocks() {
        return usedBlocks;
    }

    /** Applies the ledger until applying it adds nothing more. */
    void apply(RefLedger ledger) throws IOException {
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
            BTree.Entry run = refs.floor(new Key(pos, ItemType.REFCOUNT, 0));
            long runStart;
            long runEnd;
            int count;
            if (run != null && run.key().type() == ItemType.REFCOUNT
                    && run.key().objectId() + RefRun.decode(run.value()).blocks() > pos) {
                RefRun r = RefRun.decode(run.value());
                runStart = run.key().objectId();
                runEnd = runStart + r.blocks();
                count = r.count();
            } else {
                BTree.Entry next = refs.ceiling(new Key(pos, ItemType.REFCOUNT, 0));
                runStart = pos;
                runEnd = next != null && next.key().type() == ItemType.REFCOUNT ? next.key().objectId() : Long.MAX_VALUE;
                count = 0;
                run = null;
            }
            long segEnd = Math.min(end, runEnd);
            int updated = count + c.delta();
            Corruption.check(updated >= 0, "blocks " + pos + ".." + segEnd + " would have " + updated
                    + " references (had " + count + ")");
            if (run != null) {
                refs.delete(run.key());
                if (runStart < pos) {
                    putRun(runStart, pos - runStart, count);
                }
                if (segEnd < runEnd) {
                    putRun(segEnd, runEnd - segEnd, count);
                }
            }
            if (updated > 0) {
                putRun(pos, segEnd - pos, updated);
            }
            long n = segEnd - pos;
            if (c.delta() < 0 && updated > 0) {
                markDropped(pos, segEnd);
            }
            if (count == 0 && updated > 0) {
                freeSpaceRemove(pos, n);
                usedBlocks += n;
            } else if (count > 0 && updated == 0) {
                freeSpaceAdd(pos, n);
                usedBlocks -= n;
                if (c.data()) {
                    checksums.delete(pos, n);
                }
                space.freeLater(pos, n);
            }
            pos = segEnd;
        }
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
    void transactionCommitted() {
        droppedThisTransaction.clear();
    }

    /**
     * Splits {@code [physical, physical + length)} by reference count, as of the changes
     * applied so far: {start, length, count} triples in block order.
     */
    java.util.List<long[]> runs(long physical, long length) throws IOException {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        long pos = physical;
        long end = physical + length;
        while (pos < end) {
            BTree.Entry e = refs.floor(new Key(pos, ItemType.REFCOUNT, 0));
            long count = 0;
            long runEnd;
            if (e != null && e.key().type() == ItemType.REFCOUNT
                    && e.key().objectId() + RefRun.decode(e.value()).blocks() > pos) {
                count = RefRun.decode(e.value()).count();
                runEnd = Math.min(end, e.key().objectId() + RefRun.decode(e.value()).blocks());
            } else {
                BTree.Entry next = refs.ceiling(new Key(pos, ItemType.REFCOUNT, 0));
                runEnd = next == null || next.key().type() != ItemType.REFCOUNT ? end
                        : Math.min(end, next.key().objectId());
            }
            out.add(new long[] {pos, runEnd - pos, count});
            pos = runEnd;
        }
        return out;
    }

    /**
     * Which blocks of {@code [physical, physical + length)} their one owner may overwrite
     * in place: exactly one reference now, and none dropped since the last commit (which
     * may still reference them from another file).
     */
    boolean[] exclusive(long physical, int length) throws IOException {
        boolean[] out = new boolean[length];
        for (long[] run : runs(physical, length)) {
            if (run[2] == 1) {
                java.util.Arrays.fill(out, (int) (run[0] - physical), (int) (run[0] - physical + run[1]), true);
            }
        }
        var before = droppedThisTransaction.floorEntry(physical);
        long from = before != null && before.getKey() + before.getValue() > physical ? before.getKey() : physical;
        for (var d : droppedThisTransaction.subMap(from, true, physical + length, false).entrySet()) {
            long a = Math.max(physical, d.getKey());
            long b = Math.min(physical + length, d.getKey() + d.getValue());
            for (long x = a; x < b; x++) {
                out[(int) (x - physical)] = false;
            }
        }
        return out;
    }

    /** Inserts a run, merging with a neighbour of the same count that touches it. */
    private void putRun(long start, long length, int count) throws IOException {
        BTree.Entry before = refs.floor(new Key(start - 1, ItemType.REFCOUNT, 0));
        if (before != null && before.key().type() == ItemType.REFCOUNT) {
            RefRun b = RefRun.decode(before.value());
            if (before.key().objectId() + b.blocks() == start && b.count() == count) {
                refs.delete(before.key());
                start = before.key().objectId();
                length += b.blocks();
            }
        }
        byte[] afterValue = refs.get(new Key(start + length, ItemType.REFCOUNT, 0));
        if (afterValue != null) {
            RefRun a = RefRun.decode(afterValue);
            if (a.count() == count) {
                refs.delete(new Key(start + length, ItemType.REFCOUNT, 0));
                length += a.blocks();
            }
        }
        refs.put(new Key(start, ItemType.REFCOUNT, 0), new RefRun(length, count).encode());
    }

    /** Blocks [start, start + length) are taken: they must lie inside one free extent. */
    private void freeSpaceRemove(long start, long length) throws IOException {
        BTree.Entry f = free.floor(new Key(start, ItemType.FREE, 0));
        Corruption.check(f != null && f.key().type() == ItemType.FREE
                && f.key().objectId() + freeLength(f.value()) >= start + length,
                "blocks " + start + "+" + length + " are allocated but not free in the free-space tree");
        long fStart = f.key().objectId();
        long fEnd = fStart + freeLength(f.value());
        free.delete(f.key());
        if (fStart < start) {
            free.put(f.key(), freeValue(start - fStart));
        }
        if (start + length < fEnd) {
            free.put(new Key(start + length, ItemType.FREE, 0), freeValue(fEnd - start - length));
        }
    }

    /** Blocks [start, start + length) are free, merging with touching free extents. */
    void freeSpaceAdd(long start, long length) throws IOException {
        long end = start + length;
        BTree.Entry before = free.floor(new Key(start, ItemType.FREE, 0));
        if (before != null && before.key().type() == ItemType.FREE) {
            long bEnd = before.key().objectId() + freeLength(before.value());
            Corruption.check(bEnd <= start, "blocks " + start + "+" + length + " freed twice");
            if (bEnd == start) {
                free.delete(before.key());
                start = before.key().objectId();
            }
        }
        byte[] after = free.get(new Key(end, ItemType.FREE, 0));
        if (after != null) {
            free.delete(new Key(end, ItemType.FREE, 0));
            end += freeLength(after);
        }
        free.put(new Key(start, ItemType.FREE, 0), freeValue(end - start));
    }

    static long freeLength(byte[] value) {
        Corruption.check(value.length == 8, "free-space item of " + value.length + " bytes");
        long n = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Corruption.check(n > 0, "free extent of " + n + " blocks");
        return n;
    }

    static byte[] freeValue(long length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }
}
