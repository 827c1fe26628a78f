package org.cowstack.storage.cow.fs;

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
 * each other on disk are merged.
 */
final class Extents {
    /** A mapped run of file blocks. */
    record Mapping(long fileBlock, ExtentItem extent) {
        long fileEnd() {
            return fileBlock + extent.blocks();
        }
    }

    private final BTree fs;
    private final RefLedger ledger;

    Extents(BTree fs, RefLedger ledger) {
        this.fs = fs;
        this.ledger = ledger;
    }

    private static Key key(long inode, long fileBlock) {
        return new Key(inode, ItemType.EXTENT, fileBlock);
    }

    /** The extents overlapping {@code [from, to)}, in file order. */
    List<Mapping> overlapping(long inode, long from, long to) throws IOException {
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

    /**
     * Unmaps {@code [from, to)}: the extents there are trimmed or removed and their
     * physical blocks lose a reference.
     *
     * @return blocks unmapped
     */
    long remove(long inode, long from, long to) throws IOException {
        return unmap(inode, from, to, true);
    }

    private long unmap(long inode, long from, long to, boolean dropReferences) throws IOException {
        long removed = 0;
        for (Mapping m : overlapping(inode, from, to)) {
            long cutFrom = Math.max(from, m.fileBlock());
            long cutTo = Math.min(to, m.fileEnd());
            ExtentItem e = m.extent();
            fs.delete(key(inode, m.fileBlock()));
            if (m.fileBlock() < cutFrom) {
                fs.put(key(inode, m.fileBlock()), e.slice(0, cutFrom - m.fileBlock()).encode());
            }
            if (cutTo < m.fileEnd()) {
                fs.put(key(inode, cutTo), e.slice(cutTo - m.fileBlock(), m.fileEnd() - cutTo).encode());
            }
            long n = cutTo - cutFrom;
            if (dropReferences) {
                ledger.add(e.physical() + (cutFrom - m.fileBlock()), n, -1, e.checksummed());
            }
            removed += n;
        }
        return removed;
    }

    /**
     * Maps {@code [fileBlock, fileBlock + extent.blocks())} to {@code extent}, unmapping
     * what was there. The caller has added the reference for the new blocks.
     *
     * @return the change in blocks mapped by the file
     */
    long replace(long inode, long fileBlock, ExtentItem extent) throws IOException {
        long removed = remove(inode, fileBlock, fileBlock + extent.blocks());
        map(inode, fileBlock, extent);
        return extent.blocks() - removed;
    }

    /**
     * Rewrites the flags of a mapped range in place (written after preallocated, checksums
     * dropped): the same physical blocks, so no reference changes.
     */
    void retag(long inode, long fileBlock, ExtentItem extent) throws IOException {
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
            if (before.key().offset() + b.blocks() == fileBlock && b.physical() + b.blocks() == extent.physical()
                    && b.flags() == extent.flags()) {
                fs.delete(before.key());
                start = before.key().offset();
                merged = new ExtentItem(b.physical(), b.blocks() + merged.blocks(), merged.flags());
            }
        }
        long end = fileBlock + extent.blocks();
        byte[] afterValue = fs.get(key(inode, end));
        if (afterValue != null) {
            ExtentItem a = ExtentItem.decode(afterValue);
            if (a.physical() == extent.physical() + extent.blocks() && a.flags() == extent.flags()) {
                fs.delete(key(inode, end));
                merged = new ExtentItem(merged.physical(), merged.blocks() + a.blocks(), merged.flags());
            }
        }
        fs.put(key(inode, start), merged.encode());
    }

    /** The physical block after the extent that ends at or before {@code fileBlock}: where to allocate next. */
    long hint(long inode, long fileBlock) throws IOException {
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
