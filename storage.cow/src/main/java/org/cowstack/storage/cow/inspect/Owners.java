package org.cowstack.storage.cow.inspect;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.meta.BackRefs;

/**
 * The reverse map: who references a physical block (file offsets, a metadata tree's
 * node, the reserved area). File owners come from the back-reference tree
 * ({@link BackRefs}): a lookup reads a few records per level of that tree (those of one
 * 64-block window at level 0), not the volume.
 * Metadata owners are still found by walking the trees' nodes, and only when the
 * block's reference count says something besides files references it.
 */
public final class Owners {
    /**
     * A file owner of part of a range: {@code owner} (kind FILE, path, inode, byte offset
     * in the file of the first block of the overlap) maps physical blocks
     * {@code [physical, physical + blocks)} of the range asked about.
     */
    public record RangeOwner(BlockOwner owner, long physical, long blocks) {
        /** Bytes of the overlap, at {@code owner.offset()} in the file. */
        public long length(int blockSize) {
            return blocks * blockSize;
        }
    }

    private final VolumeCore core;

    public Owners(VolumeCore core) {
        this.core = core;
    }

    /** {@code Volume.owners}. */
    public List<BlockOwner> of(long block) throws IOException {
        core.checkUsable();
        Superblock sb = core.committed();
        if (block < 0 || block >= sb.totalBlocks) {
            throw new InvalidArgumentException("block", block, "a block of the volume, 0.." + (sb.totalBlocks - 1));
        }
        if (block < sb.firstDataBlock()) {
            return List.of(new BlockOwner(BlockOwner.Kind.RESERVED, "superblocks", -1, -1));
        }
        return core.treeLock.reading(() -> {
            List<BlockOwner> files = new ArrayList<>();
            for (RangeOwner o : files(block, 1)) {
                files.add(o.owner());
            }
            List<BlockOwner> out = new ArrayList<>();
            // Nodes: a walk of the trees' nodes, unless the reference count (exact while the
            // ledger holds nothing unapplied) shows the files are all there is.
            boolean onlyFiles = core.ledger.isEmpty()
                    && core.refCounts.runs(block, 1).get(0).count() == files.size();
            if (!onlyFiles) {
                for (BTree t : core.trees.all()) {
                    t.forEachNode(n -> {
                        if (block >= n.block() && block < n.block() + core.nodeBlocks
                                || n.mirror() != 0 && block >= n.mirror() && block < n.mirror() + core.nodeBlocks) {
                            out.add(new BlockOwner(BlockOwner.Kind.METADATA, t.id().name().toLowerCase(Locale.ROOT)
                                    + " tree", -1, -1));
                        }
                    });
                }
            }
            out.addAll(files);
            return out;
        });
    }

    /**
     * The files that map blocks of {@code [physical, physical + blocks)}, with the part of
     * the range each maps: what a scrub report says of a damaged range. In physical order.
     */
    public List<RangeOwner> of(long physical, long blocks) throws IOException {
        core.checkUsable();
        Superblock sb = core.committed();
        if (physical < 0 || blocks <= 0 || physical + blocks > sb.totalBlocks) {
            throw new InvalidArgumentException("range", physical + "+" + blocks, "blocks of the volume, 0.."
                    + (sb.totalBlocks - 1));
        }
        return core.treeLock.reading(() -> files(physical, blocks));
    }

    /** Tree lock held. */
    private List<RangeOwner> files(long physical, long blocks) throws IOException {
        List<RangeOwner> out = new ArrayList<>();
        for (BackRefs.Ref r : core.backRefs.covering(physical, blocks)) {
            out.add(new RangeOwner(new BlockOwner(BlockOwner.Kind.FILE, core.inodes.pathOf(r.inode()), r.inode(),
                    r.fileBlock() * core.blockSize), r.physical(), r.blocks()));
        }
        return out;
    }
}
