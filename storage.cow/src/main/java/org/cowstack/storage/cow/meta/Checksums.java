package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;

/**
 * Data checksums by physical block: items {@code (first block, CSUM, 0)} holding the
 * digests of consecutive blocks. Keyed by physical block, so a block shared by several
 * files has one checksum.
 */
public final class Checksums {
    private final BTree tree;
    private final int digestLength;
    private final int perItem;

    public Checksums(BTree tree, int digestLength, int nodeSize) {
        this.tree = tree;
        this.digestLength = digestLength;
        this.perItem = Math.max(1, Math.min(256, BTree.maxValueBytes(nodeSize) / digestLength));
    }

    /** Records the digests of the blocks from {@code start}, {@code digestLength} bytes each, back to back. */
    public void insert(long start, byte[] digests) throws IOException {
        int blocks = digests.length / digestLength;
        for (int done = 0; done < blocks; done += perItem) {
            int n = Math.min(perItem, blocks - done);
            byte[] item = new byte[n * digestLength];
            System.arraycopy(digests, done * digestLength, item, 0, item.length);
            tree.put(new Key(start + done, ItemType.CSUM, 0), item);
        }
    }

    /**
     * The digests of {@code [start, start + count)}, back to back, or null when a block of
     * the range has none (the caller knows from the extent whether it should).
     */
    public byte[] lookup(long start, int count) throws IOException {
        byte[] out = new byte[count * digestLength];
        long end = start + count;
        long pos = start;
        BTree.Entry e = tree.floor(new Key(start, ItemType.CSUM, 0));
        if (e == null || !covers(e, start)) {
            e = tree.ceiling(new Key(start, ItemType.CSUM, 0));
        }
        while (pos < end) {
            if (e == null || e.key().type() != ItemType.CSUM || e.key().objectId() > pos || !covers(e, pos)) {
                return null;
            }
            long itemStart = e.key().objectId();
            int itemBlocks = e.value().length / digestLength;
            int from = (int) (pos - itemStart);
            int n = (int) Math.min(itemBlocks - from, end - pos);
            System.arraycopy(e.value(), from * digestLength, out, (int) (pos - start) * digestLength, n * digestLength);
            pos += n;
            if (pos < end) {
                e = tree.ceiling(new Key(itemStart + itemBlocks, ItemType.CSUM, 0));
            }
        }
        return out;
    }

    private boolean covers(BTree.Entry e, long block) {
        Corruption.check(e.value().length % digestLength == 0 && e.value().length > 0,
                () -> "checksum item " + e.key() + " of " + e.value().length + " bytes");
        return e.key().type() == ItemType.CSUM && e.key().objectId() <= block
                && block < e.key().objectId() + e.value().length / digestLength;
    }

    /** Sees a run of blocks from {@code start} with their digests, back to back; answers whether to go on. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(long start, byte[] digests) throws IOException;
    }

    /**
     * The stored digests of blocks from {@code from} on, item by item in block order (an
     * item that starts before {@code from} is clipped to it): what a scrub verifies.
     */
    public void forEach(long from, Visitor visitor) throws IOException {
        BTree.Entry first = tree.floor(new Key(from, ItemType.CSUM, 0));
        if (first != null && covers(first, from) && first.key().objectId() < from) {
            int skip = (int) (from - first.key().objectId());
            if (!visitor.visit(from, Arrays.copyOfRange(first.value(), skip * digestLength, first.value().length))) {
                return;
            }
        }
        tree.scan(new Key(from, ItemType.CSUM, 0), new Key(Long.MAX_VALUE, ItemType.CSUM, Long.MAX_VALUE), (k, v) ->
                k.type() != ItemType.CSUM || visitor.visit(k.objectId(), v));
    }

    /** Forgets the digests of {@code [start, start + count)}: the blocks are free. */
    public void delete(long start, long count) throws IOException {
        long end = start + count;
        List<BTree.Entry> overlapping = new ArrayList<>();
        BTree.Entry first = tree.floor(new Key(start, ItemType.CSUM, 0));
        if (first != null && first.key().type() == ItemType.CSUM
                && first.key().objectId() + first.value().length / digestLength > start) {
            overlapping.add(first);
        }
        tree.scan(new Key(start, ItemType.CSUM, 0), new Key(end - 1, ItemType.CSUM, 0), (k, v) -> {
            if (k.type() == ItemType.CSUM && (first == null || !k.equals(first.key()))) {
                overlapping.add(new BTree.Entry(k, v));
            }
            return true;
        });
        for (BTree.Entry e : overlapping) {
            long itemStart = e.key().objectId();
            int itemBlocks = e.value().length / digestLength;
            long itemEnd = itemStart + itemBlocks;
            tree.delete(e.key());
            if (itemStart < start) {
                byte[] head = new byte[(int) (start - itemStart) * digestLength];
                System.arraycopy(e.value(), 0, head, 0, head.length);
                tree.put(e.key(), head);
            }
            if (itemEnd > end) {
                byte[] tail = new byte[(int) (itemEnd - end) * digestLength];
                System.arraycopy(e.value(), (int) (end - itemStart) * digestLength, tail, 0, tail.length);
                tree.put(new Key(end, ItemType.CSUM, 0), tail);
            }
        }
    }
}
