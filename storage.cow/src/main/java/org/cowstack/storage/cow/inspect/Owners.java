package org.cowstack.storage.cow.inspect;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;

/**
 * The reverse map, by walking: who references a physical block (file offsets, a
 * metadata tree's node, the reserved area). Without back references on disk this scans
 * every file extent, so it takes time linear in the volume's extents.
 */
public final class Owners {
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
            List<BlockOwner> out = new ArrayList<>();
            for (BTree t : core.trees.all()) {
                t.forEachNode(n -> {
                    if (block >= n.block() && block < n.block() + core.nodeBlocks
                            || n.mirror() != 0 && block >= n.mirror() && block < n.mirror() + core.nodeBlocks) {
                        out.add(new BlockOwner(BlockOwner.Kind.METADATA, t.id().name().toLowerCase(Locale.ROOT)
                                + " tree", -1, -1));
                    }
                });
            }
            // No back references on disk: a scan of the file extents, linear in their number.
            List<long[]> files = new ArrayList<>();
            core.trees.get(TreeId.FS).scanAll((k, v) -> {
                if (k.type() == ItemType.EXTENT) {
                    ExtentItem e = ExtentItem.decode(v);
                    if (block >= e.physical() && block < e.physical() + e.blocks()) {
                        files.add(new long[] {k.objectId(), (k.offset() + block - e.physical()) * core.blockSize});
                    }
                }
                return true;
            });
            for (long[] f : files) {
                out.add(new BlockOwner(BlockOwner.Kind.FILE, core.inodes.pathOf(f[0]), f[0], f[1]));
            }
            return out;
        });
    }
}
