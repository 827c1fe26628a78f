package org.cowstack.storage.cow.inspect;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.cow.btree.Node;
import org.cowstack.storage.cow.btree.NodeCodec;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.RefRun;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.BackRefs;

/**
 * {@code storage:check}: a consistency check of a whole volume as one commit left it,
 * read from the device and changing nothing. Every node of every tree is read from the
 * device (not from the node cache), which verifies its checksum and identity (file
 * system, block, owner tree, level, the generation its parent expects); then the tree
 * structure (keys in order and within their parent's bounds, no empty node below a
 * root, generations not above the commit's), the reference counts against the file
 * extents and metadata nodes, the back references against the extents, the free-space
 * tree against the reference counts, and that no block is owned by two kinds (a node
 * and file data) or holds two nodes.
 *
 * <p>A mounted volume is checked as of its last commit without the tree lock: committed
 * nodes are not overwritten before a later commit is durable (blocks a transaction
 * frees become reusable only then), so a walk during which the committed generation did
 * not change read a consistent image. A walk that saw a commit is done again, and after
 * a few such it is done holding the commit lock, which holds commits (not writers) off.
 *
 * <p>Memory: a map entry per referenced block (a first version; runs would do).
 */
public final class Check {
    /** Lines of problems kept; the rest are counted. */
    private static final int MAX_PROBLEMS = 100;
    private static final int OPTIMISTIC_WALKS = 3;

    /**
     * What a check found: {@code problems}, one line each (empty when clean), and what it
     * covered.
     *
     * @param problems          one line per problem found, at most {@value #MAX_PROBLEMS} and a count of the rest
     * @param generation        the commit checked
     * @param trees             trees walked
     * @param nodes             nodes read
     * @param checksumsVerified nodes whose checksum matched
     * @param extents           file extents
     * @param blocksReferenced  blocks with at least one reference in the refcount tree
     * @param freeBlocks        blocks in the free-space tree
     */
    public record Result(List<String> problems, long generation, int trees, long nodes, long checksumsVerified,
            long extents, long blocksReferenced, long freeBlocks) {
        public Result {
            problems = List.copyOf(problems);
        }

        public boolean clean() {
            return problems.isEmpty();
        }

        /** The result as the API reports it. */
        public org.cowstack.storage.api.scrub.CheckReport report() {
            return new org.cowstack.storage.api.scrub.CheckReport(problems, generation, trees, nodes,
                    checksumsVerified, extents, blocksReferenced, freeBlocks);
        }

        /** One line: what was checked, and whether it is clean. */
        public String summary() {
            return "generation " + generation + ": " + trees + " trees, " + nodes + " nodes (" + checksumsVerified
                    + " checksums verified), " + extents + " extents, " + blocksReferenced + " blocks referenced, "
                    + freeBlocks + " free: " + (clean() ? "clean" : problems.size() + " problems");
        }
    }

    private final BlockDevice device;
    private final Superblock sb;
    private final NodeCodec codec;
    private final int nodeBlocks;
    private final List<String> problems = new ArrayList<>();
    private long dropped;
    private long nodes;
    private long verified;
    private long extents;
    private int trees;
    /** Node blocks (each block of each node) -> the tree whose node holds it. */
    private final Map<Long, TreeId> nodeBlocksOwned = new HashMap<>();
    /** Data block -> references from file extents. */
    private final Map<Long, Integer> dataRefs = new HashMap<>();
    /** Data block -> an inode referencing it, for messages. */
    private final Map<Long, Long> dataOwner = new HashMap<>();
    private final List<BackRefs.Ref> implied = new ArrayList<>();
    private final List<BackRefs.Ref> backRefs = new ArrayList<>();
    private final TreeMap<Long, Integer> counted = new TreeMap<>();
    private final List<long[]> free = new ArrayList<>();
    /** Checksum items: {first block, blocks}. */
    private final List<long[]> csums = new ArrayList<>();
    private final int digestLength;
    /** Inodes and the names of the fs tree, whose links are checked once every item is seen. */
    private final Names names = new Names();

    private Check(BlockDevice device, Superblock sb, ChecksumAlgorithm checksum) {
        this.device = device;
        this.sb = sb;
        int nodeSize = Math.max(VolumeCore.MIN_NODE_SIZE, sb.blockSize);
        this.codec = new NodeCodec(nodeSize, sb.uuid, checksum);
        this.nodeBlocks = nodeSize / sb.blockSize;
        this.digestLength = checksum.digestLength();
    }

    /**
     * Checks the image whose newest valid superblock is {@code sb} on {@code device},
     * which is only read: an unmounted image (opened read-only), or a mounted volume's
     * last commit.
     */
    public static Result image(BlockDevice device, Superblock sb, ChecksumAlgorithm checksum) {
        return new Check(device, sb, checksum).run();
    }

    /** Checks a mounted volume's last commit, without its tree lock (see the class comment). */
    public static Result mounted(VolumeCore core) {
        for (int i = 0; i < OPTIMISTIC_WALKS; i++) {
            Superblock sb = core.committed();
            Result r = image(core.device, sb, core.checksum);
            if (core.committed().generation == sb.generation) {
                return r;
            }
        }
        core.commitLock.lock();
        try {
            return image(core.device, core.committed(), core.checksum);
        } finally {
            core.commitLock.unlock();
        }
    }

    private void problem(String line) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(line);
        } else {
            dropped++;
        }
    }

    private Result run() {
        for (TreeId id : TreeId.values()) {
            Superblock.Root root = sb.root(id);
            if (root == null) {
                if (id.required()) {
                    problem(id + ": no root in the superblock");
                }
                continue;
            }
            trees++;
            walk(id, root.block(), root.mirror(), root.generation(), root.level(), null, null, true);
        }
        for (Integer rowId : sb.roots().keySet()) {
            if (TreeId.of(rowId) == null) {
                problem("superblock: root of unknown tree " + rowId);
            }
        }
        checkReferences();
        names.check().forEach(this::problem);
        checkChecksums();
        List<String> backRefProblems = Audit.compareBackRefs(implied, backRefs);
        backRefProblems.forEach(this::problem);
        long referenced = counted.size();
        long freeBlocks = checkFreeSpace();
        long dataBlocks = sb.totalBlocks - sb.firstDataBlock();
        if (freeBlocks + referenced != dataBlocks) {
            problem("free (" + freeBlocks + ") + referenced (" + referenced + ") != data blocks (" + dataBlocks + ")");
        }
        if (sb.usedBlocks != referenced) {
            problem("superblock: used blocks " + sb.usedBlocks + " != referenced " + referenced);
        }
        if (dropped > 0) {
            problems.add("... and " + dropped + " more problems");
        }
        return new Result(problems, sb.generation, trees, nodes, verified, extents, referenced, freeBlocks);
    }

    // ------------------------------------------------------------------ trees

    private void walk(TreeId id, long block, long mirror, long generation, int level, Key low, Key high,
            boolean isRoot) {
        String where = id + " node at block " + block;
        if (!inDataArea(block, nodeBlocks) || mirror != 0 && !inDataArea(mirror, nodeBlocks)) {
            problem(where + (mirror != 0 ? " (second copy at " + mirror + ")" : "") + ": outside the data area");
            return;
        }
        if (generation > sb.generation) {
            problem(where + ": generation " + generation + " above the commit's " + sb.generation);
        }
        nodes++;
        Node n = null;
        String[] bad = new String[2];
        long[] at = {block, mirror};
        for (int c = 0; c < (mirror == 0 ? 1 : 2); c++) {
            try {
                ByteBuffer raw = device.allocate(codec.nodeSize());
                device.read(raw, at[c] * sb.blockSize);
                Node decoded = codec.decode(raw, block, mirror, generation, id, level);
                verified++;
                n = n == null ? decoded : n;
            } catch (NodeCodec.ChecksumFailure e) {
                bad[c] = "checksum mismatch";
            } catch (Corruption e) {
                bad[c] = e.getMessage();
            } catch (IOException | RuntimeException e) {
                bad[c] = "unreadable: " + e.getMessage();
            }
        }
        ownNode(id, block);
        if (mirror != 0) {
            ownNode(id, mirror);
        }
        for (int c = 0; c < 2; c++) {
            if (bad[c] != null) {
                problem(where + (mirror == 0 ? "" : ", copy " + (c + 1) + " at block " + at[c]) + ": " + bad[c]
                        + (n == null ? " (its subtree is not checked)" : " (the other copy is good)"));
            }
        }
        if (n == null) {
            return;
        }
        if (!isRoot && n.size() == 0) {
            problem(where + ": empty below the root");
        }
        for (int i = 0; i < n.size(); i++) {
            Key k = n.key(i);
            if ((low != null && k.compareTo(low) < 0) || (high != null && k.compareTo(high) >= 0)) {
                problem(where + ": key " + k + " outside its parent's range [" + low + ", " + high + ")");
            }
        }
        if (n.isLeaf()) {
            for (int i = 0; i < n.size(); i++) {
                try {
                    item(id, n.key(i), n.value(i));
                } catch (Corruption | IllegalArgumentException e) {
                    problem(where + ": item " + n.key(i) + ": " + e.getMessage());
                }
            }
            return;
        }
        for (int i = 0; i < n.size(); i++) {
            long childGeneration = n.childGeneration(i);
            if (childGeneration > generation) {
                problem(where + ": child " + i + " has generation " + childGeneration + " above its parent's "
                        + generation);
            }
            Key childLow = i == 0 ? low : n.key(i);
            Key childHigh = i + 1 < n.size() ? n.key(i + 1) : high;
            walk(id, n.childBlock(i), n.childMirror(i), childGeneration, level - 1, childLow, childHigh, false);
        }
    }

    private void ownNode(TreeId id, long block) {
        for (long b = block; b < block + nodeBlocks; b++) {
            TreeId before = nodeBlocksOwned.put(b, id);
            if (before != null) {
                problem("block " + b + " holds two nodes (of the " + before + " and the " + id + ")");
            }
        }
    }

    /** One leaf item: what it references or records. */
    private void item(TreeId id, Key k, byte[] v) {
        switch (id) {
            case FS -> {
                names.item(k, v);
                if (k.type() == ItemType.EXTENT) {
                    ExtentItem e = ExtentItem.decode(v);
                    extents++;
                    if (!inDataArea(e.physical(), e.blocks())) {
                        problem("extent " + k + " -> " + e.physical() + "+" + e.blocks() + " outside the data area");
                        return;
                    }
                    if (e.hasMirror() && !inDataArea(e.mirror(), e.blocks())) {
                        problem("extent " + k + " -> second copy " + e.mirror() + "+" + e.blocks()
                                + " outside the data area");
                        return;
                    }
                    for (long start : e.hasMirror() ? new long[] {e.physical(), e.mirror()} : new long[] {e.physical()}) {
                        implied.add(new BackRefs.Ref(start, k.objectId(), k.offset(), e.blocks()));
                        for (long b = start; b < start + e.blocks(); b++) {
                            dataRefs.merge(b, 1, Integer::sum);
                            dataOwner.putIfAbsent(b, k.objectId());
                        }
                    }
                }
            }
            case REFCOUNT -> {
                Corruption.check(k.type() == ItemType.REFCOUNT, () -> "not a reference count");
                RefRun r = RefRun.decode(k, v);
                if (!inDataArea(r.start(), r.blocks())) {
                    problem("reference run " + k + " of " + r.blocks() + " blocks outside the data area");
                    return; // and not block by block: its length may be anything
                }
                for (long b = r.start(); b < r.end(); b++) {
                    if (counted.put(b, r.count()) != null) {
                        problem("block " + b + " is counted by two runs");
                    }
                }
            }
            case FREE_SPACE -> {
                Corruption.check(k.type() == ItemType.FREE && v.length == 8, () -> "not a free extent");
                long length = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
                free.add(new long[] {k.objectId(), length});
            }
            case BACKREF -> {
                Corruption.check(k.type() == ItemType.BACKREF, () -> "not a back reference");
                backRefs.addAll(BackRefs.decode(k, v));
            }
            case CSUM -> {
                Corruption.check(k.type() == ItemType.CSUM && v.length > 0 && v.length % digestLength == 0,
                        () -> "not the digests of whole blocks");
                csums.add(new long[] {k.objectId(), v.length / digestLength});
            }
            default -> {
                // bitmaps: their nodes are verified; their items reference no blocks
            }
        }
    }

    /** Whether blocks {@code [start, start + blocks)} lie in the data area, without overflowing. */
    private boolean inDataArea(long start, long blocks) {
        return start >= sb.firstDataBlock() && blocks >= 0 && blocks <= sb.totalBlocks - start;
    }

    // ------------------------------------------------------------------ accounting

    /** Reference counts against extents and nodes; no block both a node and data. */
    private void checkReferences() {
        TreeMap<Long, Integer> expected = new TreeMap<>();
        for (Map.Entry<Long, TreeId> e : nodeBlocksOwned.entrySet()) {
            expected.merge(e.getKey(), 1, Integer::sum);
            Long inode = dataOwner.get(e.getKey());
            if (inode != null) {
                problem("block " + e.getKey() + " is owned twice: a node of the " + e.getValue()
                        + " and data of inode " + inode);
            }
        }
        dataRefs.forEach((b, n) -> expected.merge(b, n, Integer::sum));
        // Wrong counts, as runs of consecutive blocks wrong the same way: one line each.
        java.util.TreeSet<Long> blocks = new java.util.TreeSet<>(expected.keySet());
        blocks.addAll(counted.keySet());
        long runStart = -1;
        long runEnd = -1;
        String runWhat = null;
        for (long b : blocks) {
            String what = countProblem(b, expected.get(b), counted.get(b));
            if (what != null && what.equals(runWhat) && b == runEnd) {
                runEnd = b + 1;
                continue;
            }
            reportRun(runStart, runEnd, runWhat);
            runStart = b;
            runEnd = b + 1;
            runWhat = what;
        }
        reportRun(runStart, runEnd, runWhat);
    }

    /** What is wrong with block {@code b}'s count (the same words for blocks wrong the same way), or null. */
    private String countProblem(long b, Integer expected, Integer count) {
        if (expected != null && expected.equals(count)) {
            return null;
        }
        if (expected == null) {
            return "counted " + count + "x, referenced by nothing (leaked)";
        }
        String by = nodeBlocksOwned.containsKey(b) ? "a node of the " + nodeBlocksOwned.get(b)
                : "data of inode " + dataOwner.get(b);
        return "referenced " + expected + "x (" + by + "), counted " + (count == null ? "0" : count + "x")
                + " in the refcount tree";
    }

    private void reportRun(long start, long end, String what) {
        if (what != null) {
            problem((end - start == 1 ? "block " + start : "blocks " + start + ".." + (end - 1)) + ": " + what);
        }
    }

    /** Digests only of blocks file data references, each block's once. */
    private void checkChecksums() {
        long end = -1;
        int reported = 0;
        for (long[] c : csums) {
            if (c[0] < end && reported++ < 10) {
                problem("checksums of blocks " + c[0] + "+" + c[1] + " overlap the item before them");
            }
            end = Math.max(end, c[0] + c[1]);
            for (long b = c[0]; b < c[0] + c[1]; b++) {
                if (!dataRefs.containsKey(b)) {
                    if (reported++ < 10) {
                        problem("block " + b + " has a checksum (item " + c[0] + "+" + c[1]
                                + ") but no file data there");
                    }
                    break;
                }
            }
        }
    }

    /** Free extents inside the data area, apart, and not referenced; answers the free blocks. */
    private long checkFreeSpace() {
        long total = 0;
        long end = sb.firstDataBlock();
        int reported = 0;
        for (long[] f : free) {
            long start = f[0];
            long length = f[1];
            if (length <= 0 || !inDataArea(start, length)) {
                problem("free extent " + start + "+" + length + " outside the data area");
                continue;
            }
            if (start < end) {
                problem("free extent " + start + "+" + length + " overlaps the one before it");
            }
            end = Math.max(end, start + length);
            total += length;
            var referenced = counted.subMap(start, start + length);
            if (!referenced.isEmpty() && reported++ < 10) {
                problem("blocks " + referenced.firstKey() + ".." + referenced.lastKey() + " are both free (extent "
                        + start + "+" + length + ") and referenced");
            }
        }
        return total;
    }
}
