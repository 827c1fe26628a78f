package org.cowstack.storage.cow.bitmap;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.BitmapItem;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.Trees;

/**
 * Dirty bitmaps in the bitmap tree: an item per bitmap under its file's inode, and its
 * bits in chunks of {@link DirtyBits#CHUNK_BITS} under its id (a chunk with no bit set
 * is not stored). Called with the tree lock held: shared to load, exclusive to store.
 */
final class BitmapStore {
    private final Trees trees;

    BitmapStore(Trees trees) {
        this.trees = trees;
    }

    /** Every stored bitmap, with its bits, and the largest id in use (0 when none). */
    record Loaded(List<DirtyBitmap> bitmaps, long maxId) {
    }

    Loaded load() throws IOException {
        BTree tree = trees.get(TreeId.BITMAP);
        List<DirtyBitmap> out = new ArrayList<>();
        if (tree == null) {
            return new Loaded(out, 0);
        }
        Map<Long, DirtyBitmap> byId = new HashMap<>();
        List<Key> chunkKeys = new ArrayList<>();
        List<byte[]> chunks = new ArrayList<>();
        tree.scanAll((k, v) -> {
            if (k.type() == ItemType.BITMAP) {
                BitmapItem item = BitmapItem.decode(v);
                Corruption.check(item.id() == k.offset(), () -> "bitmap item " + k + " holds id " + item.id());
                DirtyBitmap b = new DirtyBitmap(k.objectId(), item, true);
                Corruption.check(byId.put(item.id(), b) == null, () -> "bitmap id " + item.id() + " twice");
                out.add(b);
            } else {
                Corruption.check(k.type() == ItemType.BITMAP_BITS, () -> "item " + k + " in the bitmap tree");
                chunkKeys.add(k);
                chunks.add(v);
            }
            return true;
        });
        long maxId = 0;
        for (DirtyBitmap b : out) {
            maxId = Math.max(maxId, b.item.id());
        }
        for (int i = 0; i < chunkKeys.size(); i++) {
            Key k = chunkKeys.get(i);
            byte[] chunk = chunks.get(i);
            DirtyBitmap b = byId.get(k.objectId());
            Corruption.check(b != null, () -> "bitmap bits " + k + " of no bitmap");
            Corruption.check(chunk.length == DirtyBits.CHUNK_BITS / 8, () -> "bitmap bits " + k + " of "
                    + chunk.length + " bytes");
            b.bits.loadChunk(k.offset(), chunk);
        }
        for (DirtyBitmap b : out) {
            b.bits.takeChanged(); // as stored
        }
        return new Loaded(out, maxId);
    }

    /** Stores the item if it changed and, with {@code bitsToo}, the chunks changed since the last store. */
    void store(DirtyBitmap b, boolean bitsToo) throws IOException {
        BTree tree = trees.create(TreeId.BITMAP);
        if (b.itemChanged) {
            tree.put(BitmapItem.key(b.inode, b.item.id()), b.item.encode());
            b.itemChanged = false;
        }
        if (bitsToo) {
            for (long chunk : b.bits.takeChanged()) {
                byte[] stored = b.bits.encodeChunk(chunk);
                Key k = BitmapItem.bitsKey(b.item.id(), chunk);
                if (stored == null) {
                    tree.delete(k);
                } else {
                    tree.put(k, stored);
                }
            }
        }
    }

    /** Removes a stored bitmap: its item and every chunk. */
    void delete(long inode, long id) throws IOException {
        BTree tree = trees.get(TreeId.BITMAP);
        if (tree == null) {
            return;
        }
        tree.delete(BitmapItem.key(inode, id));
        List<Key> chunks = new ArrayList<>();
        tree.scan(Key.first(id, ItemType.BITMAP_BITS), Key.last(id, ItemType.BITMAP_BITS), (k, v) -> {
            chunks.add(k);
            return true;
        });
        for (Key k : chunks) {
            tree.delete(k);
        }
    }
}
