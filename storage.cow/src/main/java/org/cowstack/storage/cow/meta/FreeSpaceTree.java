package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;

/**
 * The free-space tree: items {@code (first block, FREE, 0)} holding the length of a
 * free extent, never touching each other. It follows every 0 &lt;-&gt; n change of a
 * block's reference count, so at mount it is the volume's free space.
 */
public final class FreeSpaceTree {
    /** Sees one free extent; answers whether to go on. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(long start, long length) throws IOException;
    }

    private final BTree tree;

    public FreeSpaceTree(BTree tree) {
        this.tree = tree;
    }

    private static Key key(long start) {
        return new Key(start, ItemType.FREE, 0);
    }

    /**
     * Every free extent in block order, checked to lie within {@code [firstBlock,
     * totalBlocks)}: what mount loads into the free-space map.
     */
    public void forEach(long firstBlock, long totalBlocks, Visitor visitor) throws IOException {
        long[] end = {firstBlock};
        tree.scanAll((k, v) -> {
            Corruption.check(k.type() == ItemType.FREE, () -> "item " + k + " in the free-space tree");
            long length = length(v);
            Corruption.check(k.objectId() >= firstBlock && length <= totalBlocks - k.objectId(), () -> "free extent "
                    + k.objectId() + "+" + length + " outside the volume");
            Corruption.check(k.objectId() >= end[0], () -> "free extent " + k.objectId() + "+" + length
                    + " overlaps the one before it, which ends at block " + end[0]);
            end[0] = k.objectId() + length;
            return visitor.visit(k.objectId(), length);
        });
    }

    /** Blocks [start, start + length) are taken: they must lie inside one free extent. */
    void take(long start, long length) throws IOException {
        BTree.Entry f = tree.floor(key(start));
        Corruption.check(f != null && f.key().type() == ItemType.FREE
                && f.key().objectId() + length(f.value()) >= start + length,
                () -> "blocks " + start + "+" + length + " are allocated but not free in the free-space tree");
        long fStart = f.key().objectId();
        long fEnd = fStart + length(f.value());
        tree.delete(f.key());
        if (fStart < start) {
            tree.put(f.key(), value(start - fStart));
        }
        if (start + length < fEnd) {
            tree.put(key(start + length), value(fEnd - start - length));
        }
    }

    /** Blocks [start, start + length) are free, merging with touching free extents. */
    public void add(long from, long length) throws IOException {
        long start = from;
        long end = start + length;
        BTree.Entry before = tree.floor(key(start));
        if (before != null && before.key().type() == ItemType.FREE) {
            long bEnd = before.key().objectId() + length(before.value());
            Corruption.check(bEnd <= start, () -> "blocks " + from + "+" + length + " freed twice");
            if (bEnd == start) {
                tree.delete(before.key());
                start = before.key().objectId();
            }
        }
        byte[] after = tree.get(key(end));
        if (after != null) {
            tree.delete(key(end));
            end += length(after);
        }
        tree.put(key(start), value(end - start));
    }

    private static long length(byte[] value) {
        Corruption.check(value.length == 8, () -> "free-space item of " + value.length + " bytes");
        long n = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Corruption.check(n > 0, () -> "free extent of " + n + " blocks");
        return n;
    }

    private static byte[] value(long length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }
}
