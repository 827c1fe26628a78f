package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.cowstack.storage.cow.alloc.SpaceMap;
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
