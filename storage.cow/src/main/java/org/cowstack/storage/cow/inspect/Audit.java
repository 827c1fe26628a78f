package org.cowstack.storage.cow.inspect;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.BackRefs;

/**
 * Checks a volume's accounting, as of its last commit: every tree's invariants; every
 * block referenced by an extent or a node has exactly as many references in the
 * refcount tree; nothing else is counted; free space and used blocks add up, on disk
 * and in memory; the back-reference tree holds exactly the references the file extents
 * imply.
 */
public final class Audit {
    private final VolumeCore core;

    public Audit(VolumeCore core) {
        this.core = core;
    }

    /** The problems found, at most ten per kind; empty when the volume is consistent. The caller has committed. */
    public List<String> run() throws IOException {
        core.commitLock.lock();
        core.treeLock.shared().lock();
        try {
            List<String> problems = new ArrayList<>();
            TreeMap<Long, Integer> expected = new TreeMap<>();
            for (BTree t : core.trees.all()) {
                t.verify();
                t.forEachNode(n -> {
                    for (int i = 0; i < core.nodeBlocks; i++) {
                        expected.merge(n.block() + i, 1, Integer::sum);
                        if (n.mirror() != 0) {
                            expected.merge(n.mirror() + i, 1, Integer::sum);
                        }
                    }
                });
            }
            List<BackRefs.Ref> implied = new ArrayList<>();
            core.trees.get(TreeId.FS).scanAll((k, v) -> {
                if (k.type() == ItemType.EXTENT) {
                    ExtentItem e = ExtentItem.decode(v);
                    implied.add(new BackRefs.Ref(e.physical(), k.objectId(), k.offset(), e.blocks()));
                    if (e.hasMirror()) {
                        implied.add(new BackRefs.Ref(e.mirror(), k.objectId(), k.offset(), e.blocks()));
                    }
                    for (long b = 0; b < e.blocks(); b++) {
                        expected.merge(e.physical() + b, 1, Integer::sum);
                        if (e.hasMirror()) {
                            expected.merge(e.mirror() + b, 1, Integer::sum);
                        }
                    }
                }
                return true;
            });
            problems.addAll(compareBackRefs(implied, core.backRefs.stored()));
            TreeMap<Long, Integer> actual = new TreeMap<>();
            core.refCounts.forEach(r -> {
                for (long b = 0; b < r.blocks(); b++) {
                    actual.put(r.start() + b, r.count());
                }
                return true;
            });
            if (!expected.equals(actual)) {
                TreeMap<Long, String> diff = new TreeMap<>();
                for (var e : expected.entrySet()) {
                    if (!e.getValue().equals(actual.get(e.getKey()))) {
                        diff.put(e.getKey(), "referenced " + e.getValue() + "x, counted " + actual.get(e.getKey()));
                    }
                }
                for (var e : actual.entrySet()) {
                    if (!expected.containsKey(e.getKey())) {
                        diff.put(e.getKey(), "counted " + e.getValue() + "x, referenced by nothing (leaked)");
                    }
                }
                diff.entrySet().stream().limit(10).forEach(d -> problems.add("block " + d.getKey() + ": " + d.getValue()));
            }
            Superblock sb = core.committed();
            long[] freeInTree = {0};
            core.freeSpace.forEach(sb.firstDataBlock(), sb.totalBlocks, (start, length) -> {
                for (long b = start; b < start + length; b++) {
                    if (actual.containsKey(b)) {
                        problems.add("block " + b + " is both free and referenced");
                        return false;
                    }
                }
                freeInTree[0] += length;
                return true;
            });
            long dataBlocks = sb.totalBlocks - sb.firstDataBlock();
            if (freeInTree[0] + actual.size() != dataBlocks) {
                problems.add("free (" + freeInTree[0] + ") + referenced (" + actual.size() + ") != data blocks ("
                        + dataBlocks + ")");
            }
            if (!core.readOnly() && core.space.freeBlocks() + core.space.pendingBlocks() != freeInTree[0]) {
                problems.add("in memory " + core.space.freeBlocks() + " free + " + core.space.pendingBlocks()
                        + " pending != " + freeInTree[0] + " free in the free-space tree");
            }
            if (core.refCounts.usedBlocks() != actual.size()) {
                problems.add("used blocks " + core.refCounts.usedBlocks() + " != referenced " + actual.size());
            }
            return problems;
        } catch (Corruption c) {
            throw core.treeLock.corrupt(c);
        } finally {
            core.treeLock.shared().unlock();
            core.commitLock.unlock();
        }
    }

    /**
     * The differences between the back references the extents imply and those stored, at
     * most ten, one line each; empty when they describe the same ownership (however the
     * stored records happen to be cut).
     */
    static List<String> compareBackRefs(List<BackRefs.Ref> implied, List<BackRefs.Ref> stored) {
        List<String> problems = new ArrayList<>();
        java.util.Set<BackRefs.Ref> want = new java.util.LinkedHashSet<>(BackRefs.canonical(implied));
        java.util.Set<BackRefs.Ref> have = new java.util.LinkedHashSet<>(BackRefs.canonical(stored));
        for (BackRefs.Ref r : want) {
            if (!have.contains(r) && problems.size() < 10) {
                problems.add("back reference missing: blocks " + r.physical() + "+" + r.blocks() + " of inode "
                        + r.inode() + " at file block " + r.fileBlock());
            }
        }
        for (BackRefs.Ref r : have) {
            if (!want.contains(r) && problems.size() < 10) {
                problems.add("back reference to nothing: blocks " + r.physical() + "+" + r.blocks() + " of inode "
                        + r.inode() + " at file block " + r.fileBlock());
            }
        }
        return problems;
    }
}
