package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;

/**
 * A file's block map in the fs tree: items {@code (inode, EXTENT, first file block)}.
 * Replacing a range drops the references of the physical blocks it covered (through
 * the ledger) and trims or splits the extents at its edges; neighbours that continue
 * each other on disk are merged. Every mapping made and lost is told to the change
 * hook: this is the one place a file's blocks change.
 */
public final class Extents {
    /** A mapped run of file blocks. */
    public record Mapping(long fileBlock, ExtentItem extent) {
        /** The file block after the run. */
        public long fileEnd() {
            return fileBlock + extent.blocks();
        }

        /** The physical block under {@code block}, a file block of the run. */
        public long physicalAt(long block) {
            return extent.physical() + (block - fileBlock);
        }

        /**
         * The part of the run inside file blocks {@code [from, to)}, which it must
         * overlap: its file blocks and the physical blocks under them.
         */
        public Mapping clip(long from, long to) {
            long a = Math.max(from, fileBlock);
            long b = Math.min(to, fileEnd());
            if (a >= b) {
                throw new IllegalArgumentException(this + " does not overlap [" + from + ", " + to + ")");
            }
            return a == fileBlock && b == fileEnd() ? this : new Mapping(a, extent.slice(a - fileBlock, b - a));
        }
    }

    private final BTree fs;
    private final RefLedger ledger;
    private final ChangeListener changes;

    public Extents(BTree fs, RefLedger ledger, ChangeListener changes) {
        this.fs = fs;
        this.ledger = ledger;
        this.changes = changes;
    }

    private static Key key(long inode, long fileBlock) {
        return new Key(inode, ItemType.EXTENT, fileBlock);
    }

    /** The extents overlapping {@code [from, to)}, whole, in file order. */
    public List<Mapping> overlapping(long inode, long from, long to) throws IOException {
        List<Mapping> out = new ArrayList<>();
        if (from >= to) {
            return out;
        }
        BTree.Entry first = fs.floor(key(inode, from));
        if (first != null && first.key().is(inode, ItemType.EXTENT)) {
            Mapping m = new Mapping(first.key().offset(), ExtentItem.decode(first.value()));
            if (m.fileEnd() > from) {
                out.add(m);
            }
        }
        fs.scan(key(inode, from), key(inode, to - 1), (k, v) -> {
            if (k.is(inode, ItemType.EXTENT) && (out.isEmpty() || out.get(out.size() - 1).fileBlock() != k.offset())) {
                out.add(new Mapping(k.offset(), ExtentItem.decode(v)));
            }
            return true;
        });
        return out;
    }

    /** The extents overlapping {@code [from, to)}, each clipped to the range, in file order. */
    public List<Mapping> within(long inode, long from, long to) throws IOException {
        List<Mapping> out = overlapping(inode, from, to);
        out.replaceAll(m -> m.clip(from, to));
        return out;
    }

    /**
     * Unmaps {@code [from, to)}: the extents there are trimmed or removed and their
     * physical blocks lose a reference.
     *
     * @return blocks unmapped
     */
    public long remove(long inode, long from, long to) throws IOException {
        return unmap(inode, from, to, true);
    }

    private long unmap(long inode, long from, long to, boolean dropReferences) throws IOException {
        long removed = 0;
        for (Mapping m : overlapping(inode, from, to)) {
            Mapping cut = m.clip(from, to);
            ExtentItem e = m.extent();
            fs.delete(key(inode, m.fileBlock()));
            if (m.fileBlock() < cut.fileBlock()) {
                fs.put(key(inode, m.fileBlock()), e.slice(0, cut.fileBlock() - m.fileBlock()).encode());
            }
            if (cut.fileEnd() < m.fileEnd()) {
                fs.put(key(inode, cut.fileEnd()), e.slice(cut.fileEnd() - m.fileBlock(), m.fileEnd() - cut.fileEnd())
                        .encode());
            }
            if (dropReferences) {
                ledger.addExtent(cut.extent(), -1);
                changes.unmapped(inode, cut.fileBlock(), cut.extent());
            }
            removed += cut.extent().blocks();
        }
        return removed;
    }

    /**
     * Maps {@code [fileBlock, fileBlock + extent.blocks())} to {@code extent}, unmapping
     * what was there. The caller has added the reference for the new blocks.
     *
     * @return the change in blocks mapped by the file
     */
    public long replace(long inode, long fileBlock, ExtentItem extent) throws IOException {
        long removed = remove(inode, fileBlock, fileBlock + extent.blocks());
        map(inode, fileBlock, extent);
        changes.mapped(inode, fileBlock, extent);
        return extent.blocks() - removed;
    }

    /**
     * Rewrites the flags of a mapped range in place (written after preallocated, checksums
     * dropped): the same physical blocks, so no reference changes.
     */
    public void retag(long inode, long fileBlock, ExtentItem extent) throws IOException {
        unmap(inode, fileBlock, fileBlock + extent.blocks(), false);
        map(inode, fileBlock, extent);
    }

    /** Inserts an extent over unmapped blocks, merging with neighbours that continue it. */
    private void map(long inode, long fileBlock, ExtentItem extent) throws IOException {
        long start = fileBlock;
        ExtentItem merged = extent;
        BTree.Entry before = fs.floor(key(inode, fileBlock - 1));
        if (fileBlock > 0 && before != null && before.key().is(inode, ItemType.EXTENT)) {
            ExtentItem b = ExtentItem.decode(before.value());
            if (before.key().offset() + b.blocks() == fileBlock && b.continuedBy(extent)) {
                fs.delete(before.key());
                start = before.key().offset();
                merged = new ExtentItem(b.physical(), b.blocks() + merged.blocks(), merged.flags(), b.mirror());
            }
        }
        long end = fileBlock + extent.blocks();
        byte[] afterValue = fs.get(key(inode, end));
        if (afterValue != null) {
            ExtentItem a = ExtentItem.decode(afterValue);
            if (extent.continuedBy(a)) {
                fs.delete(key(inode, end));
                merged = new ExtentItem(merged.physical(), merged.blocks() + a.blocks(), merged.flags(),
                        merged.mirror());
            }
        }
        fs.put(key(inode, start), merged.encode());
    }

    /** The physical block after the extent that ends at or before {@code fileBlock}: where to allocate next. */
    public long hint(long inode, long fileBlock) throws IOException {
        if (fileBlock == 0) {
            return -1;
        }
        BTree.Entry before = fs.floor(key(inode, fileBlock - 1));
        if (before == null || !before.key().is(inode, ItemType.EXTENT)) {
            return -1;
        }
        ExtentItem b = ExtentItem.decode(before.value());
        return b.physical() + Math.min(b.blocks(), fileBlock - before.key().offset());
    }
}
