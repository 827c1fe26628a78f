package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.cow.btree.Node;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.meta.BackRefs;
import org.cowstack.storage.cow.meta.DamagedRanges;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.meta.MetadataStore;

/**
 * The engine's scrub pass (see {@link ScrubTarget}), in two phases:
 *
 * <ol>
 * <li><b>Metadata</b>, one tree per piece (cursor {@code 0 .. trees - 1}): every node of
 * the last commit's trees, both copies, read from the device and verified (checksum,
 * identity, generation). Walked without the tree lock: the free-space map is pinned
 * meanwhile, so no node of that commit is reused under the walk.</li>
 * <li><b>Data</b>, in physical block order (cursor {@link #DATA} + block): every block
 * with a stored checksum, each copy by its own address, read in long runs without the
 * tree lock and verified. A block that fails is checked again under the lock (a change
 * that freed or rewrote it meanwhile is not an error; one that reads right the second
 * time is counted unverified), its owners and its other copy are found, and the bad
 * copy is rewritten from the good one ({@link org.cowstack.storage.cow.core.Repairs}).</li>
 * </ol>
 */
public final class ScrubPass implements ScrubTarget {
    /** Cursors from here on are data-phase positions: {@code DATA + physical block}. */
    public static final long DATA = 1L << 56;
    /** Blocks read by one device read of the data phase. */
    private static final int READ_BLOCKS_BYTES = 1 << 20;

    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;
    /**
     * The data phase's read buffer, kept from one piece to the next: a fresh 1 MiB
     * direct buffer per piece (4 MiB, the job's piece) cost up to 7 ms a piece on a VM
     * (page faults and zeroing; ScrubBenchmark, 1 GiB: 1.9 s of a 4.8 s scrub). Taken
     * and put back, so two callers at once (not the job's way) each get their own.
     */
    private final AtomicReference<ByteBuffer> spare = new AtomicReference<>();

    public ScrubPass(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
        this.blockSize = core.blockSize;
    }

    /**
     * Every copy of every node and every checksummed data block, as of now: what a whole
     * pass reads (blocks without checksums, unwritten or {@code nodatasum}, have nothing
     * to verify them by and are not read). Counted from the trees' items, not the blocks.
     */
    @Override
    public long totalBytes() throws IOException {
        int d = core.checksum.digestLength();
        long[] blocks = {0};
        core.treeLock.reading(() -> {
            for (org.cowstack.storage.cow.btree.BTree t : core.trees.all()) {
                t.forEachNode(n -> blocks[0] += (n.mirror() == 0 ? 1L : 2L) * core.nodeBlocks);
            }
            core.checksums.forEach(0, (start, digests) -> {
                blocks[0] += digests.length / d;
                return true;
            });
            return null;
        });
        return blocks[0] * blockSize;
    }

    @Override
    public long scrub(long cursor, long maxBytes, boolean repair, ScrubTally tally) throws IOException {
        if (cursor < DATA) {
            List<TreeId> trees = trees();
            if (cursor < trees.size()) {
                scrubTree(trees.get((int) cursor), repair, tally);
                return cursor + 1;
            }
            cursor = DATA;
        }
        return scrubData(cursor - DATA, maxBytes, repair, tally);
    }

    /** The trees of the volume, in id order: the metadata phase's positions. */
    private List<TreeId> trees() {
        List<TreeId> out = new ArrayList<>();
        for (TreeId t : TreeId.values()) {
            if (core.committed().root(t) != null) {
                out.add(t);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ metadata

    private void scrubTree(TreeId tree, boolean repair, ScrubTally tally) throws IOException {
        core.space.pin();
        try {
            Superblock sb = core.committed();
            Superblock.Root root = sb.root(tree);
            if (root != null) {
                visit(tree, root.block(), root.mirror(), root.generation(), root.level(), repair, tally);
            }
        } finally {
            core.space.unpin();
        }
    }

    private void visit(TreeId tree, long block, long mirror, long gen, int level, boolean repair, ScrubTally tally)
            throws IOException {
        Node n = check(tree, block, mirror, gen, level, repair, tally);
        if (n == null || n.isLeaf()) {
            return; // with both copies bad, what lies below is out of reach: reported as this node
        }
        for (int i = 0; i < n.size(); i++) {
            visit(tree, n.childBlock(i), n.childMirror(i), n.childGeneration(i), level - 1, repair, tally);
        }
    }

    /** Checks (and repairs) both copies of one node; answers it as decoded from a good copy, or null. */
    private Node check(TreeId tree, long block, long mirror, long gen, int level, boolean repair, ScrubTally tally) {
        MetadataStore.Scrubbed s = core.meta.scrub(block, mirror, gen, tree, level, repair);
        int nodeBlocks = core.nodeBlocks;
        long copies = mirror == 0 ? 1 : 2;
        tally.checked(copies * nodeBlocks, copies * nodeBlocks * blockSize);
        boolean fixed = repair && s.repairable() && !core.readOnly();
        long[] at = {block, mirror};
        for (int c = 0; c < 2; c++) {
            IOException e = s.bad()[c];
            if (e != null) {
                boolean ok = fixed && e.getSuppressed().length == 0;
                tally.damaged(new DamagedRange(at[c], nodeBlocks, c + 1, "metadata", ok,
                        List.of(new BlockOwner(BlockOwner.Kind.METADATA, tree.name().toLowerCase(Locale.ROOT) + " tree",
                                -1, -1))));
                core.healing.event(nodeBlocks, ok ? nodeBlocks : 0, core.name + ": scrub: " + tree + " node at block "
                        + block + ", copy " + (c + 1) + " at block " + at[c] + ": " + e.getMessage()
                        + (ok ? "; rewritten from the other copy" : ""));
            }
        }
        if (s.node() == null) {
            core.healing.metadataLost(tree + " node at block " + block + " has no good copy");
        }
        return s.node();
    }

    /**
     * Checks both copies of every node of the running trees with a copy in blocks
     * {@code [first, end)}: what a media error reported on those blocks hurts in the
     * metadata. Found under the tree lock, checked and repaired without it.
     */
    void scrubNodesIn(long first, long end, boolean repair, ScrubTally tally) throws IOException {
        record Hit(TreeId tree, long block, long mirror, long gen, int level) {
        }
        List<Hit> hits = new ArrayList<>();
        core.space.pin();
        try {
            core.treeLock.reading(() -> {
                for (org.cowstack.storage.cow.btree.BTree t : core.trees.all()) {
                    t.forEachNode(n -> {
                        if (n.block() < end && first < n.block() + core.nodeBlocks
                                || n.mirror() != 0 && n.mirror() < end && first < n.mirror() + core.nodeBlocks) {
                            hits.add(new Hit(t.id(), n.block(), n.mirror(), n.generation(), n.level()));
                        }
                    });
                }
                return null;
            });
            for (Hit h : hits) {
                check(h.tree(), h.block(), h.mirror(), h.gen(), h.level(), repair, tally);
            }
        } finally {
            core.space.unpin();
        }
    }

    // ------------------------------------------------------------------ data

    /** A run of blocks with stored digests, as collected under the tree lock. */
    private record Run(long start, byte[] digests) {
        int blocks(int digestLength) {
            return digests.length / digestLength;
        }
    }

    private long scrubData(long from, long maxBytes, boolean repair, ScrubTally tally) throws IOException {
        int d = core.checksum.digestLength();
        long maxBlocks = Math.max(1, maxBytes / blockSize);
        List<Run> runs = new ArrayList<>();
        long[] next = {-1};
        core.treeLock.reading(() -> {
            long[] taken = {0};
            core.checksums.forEach(from, (start, digests) -> {
                if (taken[0] >= maxBlocks) {
                    next[0] = start;
                    return false;
                }
                Run last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
                int n = digests.length / d;
                if (last != null && last.start() + last.blocks(d) == start
                        && (long) (last.blocks(d) + n) * blockSize <= READ_BLOCKS_BYTES) {
                    byte[] joined = Arrays.copyOf(last.digests(), last.digests().length + digests.length);
                    System.arraycopy(digests, 0, joined, last.digests().length, digests.length);
                    runs.set(runs.size() - 1, new Run(last.start(), joined));
                } else {
                    runs.add(new Run(start, digests));
                }
                taken[0] += n;
                return true;
            });
            return null;
        });
        ByteBuffer taken = spare.getAndSet(null);
        ByteBuffer buf = taken != null ? taken : io.allocate(READ_BLOCKS_BYTES);
        for (Run r : runs) {
            int n = r.blocks(d);
            ByteBuffer view = buf.clear().limit(n * blockSize).slice();
            long since = core.repairs.mark();
            List<Integer> bad = new ArrayList<>();
            boolean whole = true;
            try {
                io.read(view, r.start());
            } catch (org.cowstack.storage.api.MediaErrorException e) {
                whole = false; // the medium refused some block of the run: read them one by one
            }
            byte[] actual = new byte[d];
            for (int k = 0; k < n; k++) {
                ByteBuffer block = view.slice(k * blockSize, blockSize);
                if (!whole) {
                    try {
                        io.read(block.duplicate(), r.start() + k);
                    } catch (org.cowstack.storage.api.MediaErrorException e) {
                        bad.add(k);
                        continue;
                    }
                }
                core.checksum.digest(block, actual, 0);
                if (!Arrays.equals(r.digests(), k * d, (k + 1) * d, actual, 0, d)) {
                    bad.add(k);
                }
            }
            tally.checked(n, (long) n * blockSize);
            for (int k : bad) {
                examine(r.start() + k, repair, since, tally);
            }
        }
        spare.set(buf);
        if (repair) {
            try {
                core.repairs.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("scrub interrupted while its repairs were written");
            }
        }
        return next[0] < 0 ? -1 : DATA + next[0];
    }

    /** Where a data block is: the file extent that maps it as one of its copies. */
    private record Location(long inode, long fileBlock, int copy, long other, boolean checksummed) {
    }

    /**
     * A block that failed in the bulk read: read and verified again under the tree lock,
     * and if it is still bad, reported with its owners and rewritten from its other copy.
     */
    void examine(long physical, boolean repair, long since, ScrubTally tally) throws IOException {
        int d = core.checksum.digestLength();
        record Finding(byte[] expected, String cause, List<Location> where, ByteBuffer good) {
        }
        Finding f = core.treeLock.reading(() -> {
            byte[] expected = core.checksums.lookup(physical, 1);
            if (expected == null) {
                return null; // freed since: not an error
            }
            ByteBuffer block = io.allocate(blockSize);
            String cause;
            try {
                io.read(block, physical);
                byte[] actual = new byte[d];
                core.checksum.digest(block.flip(), actual, 0);
                if (Arrays.equals(expected, 0, d, actual, 0, d)) {
                    return new Finding(expected, null, List.of(), null);
                }
                core.healing.checksumError();
                cause = "checksum";
            } catch (org.cowstack.storage.api.MediaErrorException e) {
                cause = "media";
            }
            List<Location> where = locate(physical);
            ByteBuffer good = null;
            for (Location l : where) {
                if (l.other() != 0 && good == null) {
                    ByteBuffer copy = io.allocate(blockSize);
                    try {
                        io.read(copy, l.other());
                        byte[] actual = new byte[d];
                        core.checksum.digest(copy.flip(), actual, 0);
                        if (Arrays.equals(expected, 0, d, actual, 0, d)) {
                            good = copy;
                        }
                    } catch (org.cowstack.storage.api.MediaErrorException e) {
                        // the other copy is bad too
                    }
                }
            }
            return new Finding(expected, cause, where, good);
        });
        if (f == null) {
            return;
        }
        if (f.cause() == null) {
            tally.unverified(1);
            return;
        }
        boolean fixed = false;
        if (repair && f.good() != null && !core.readOnly() && !f.where().isEmpty()) {
            core.repairs.queue(f.where().get(0).inode(), physical, 1, f.good(), f.expected(), since);
            fixed = true;
        }
        List<BlockOwner> owners = new ArrayList<>();
        int copy = 1;
        for (Location l : f.where()) {
            owners.add(new BlockOwner(BlockOwner.Kind.FILE, path(l.inode()), l.inode(), l.fileBlock() * blockSize));
            copy = l.copy();
        }
        tally.damaged(new DamagedRange(physical, 1, copy, f.cause(), fixed, owners));
        if (!fixed) {
            int cause = f.cause().equals("media") ? DamagedRanges.MEDIA : DamagedRanges.CHECKSUM;
            for (Location l : f.where()) {
                core.damaged.mark(l.inode(), l.fileBlock(), 1, physical, cause); // health names the file ranges
            }
        }
        core.healing.event(1, fixed ? 1 : 0, core.name + ": scrub: block " + physical + " (copy " + copy + ") of "
                + owners.stream().map(o -> o.path() + " at offset " + o.offset()).reduce((a, b) -> a + ", " + b)
                        .orElse("no file") + ": " + f.cause() + " error"
                + (fixed ? "; rewritten from the other copy" : f.good() == null ? "; no good copy" : ""));
    }

    private String path(long inode) {
        try {
            return core.treeLock.reading(() -> core.inodes.pathOf(inode));
        } catch (IOException e) {
            return "inode " + inode;
        }
    }

    /**
     * Every file extent that maps {@code physical} as its first or second copy: which
     * file and offset, which copy, and where the other copy is (0: none). Tree lock held.
     * From the back references: time in proportion to the owners, not the volume.
     */
    private List<Location> locate(long physical) throws IOException {
        List<Location> out = new ArrayList<>();
        for (BackRefs.Ref r : core.backRefs.covering(physical, 1)) {
            long fileBlock = r.fileBlock() + (physical - r.physical());
            for (Extents.Mapping m : core.extents.within(r.inode(), fileBlock, fileBlock + 1)) {
                ExtentItem e = m.extent();
                if (e.physical() == physical) {
                    out.add(new Location(r.inode(), fileBlock, 1, e.mirror(), e.checksummed()));
                } else if (e.hasMirror() && e.mirror() == physical) {
                    out.add(new Location(r.inode(), fileBlock, 2, e.physical(), e.checksummed()));
                }
            }
        }
        return out;
    }
}
