package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.cow.btree.Node;
import org.cowstack.storage.cow.btree.NodeCodec;
import org.cowstack.storage.cow.btree.NodeStore;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.TreeId;

/**
 * The nodes of a volume's trees: a cache of decoded nodes over the device.
 *
 * <p>Nodes of the running transaction are dirty and pinned in memory. At commit they
 * are frozen (encoded, and pinned until written, since the trees already point at
 * their blocks) and the transaction advances, so further changes copy them. Clean
 * nodes are kept in a bounded LRU. A node that fails its checksum or its identity
 * checks is reported with the volume and tree it belongs to, never returned.
 */
public final class MetadataStore implements NodeStore {
    /** Allocates node blocks and records their references; implemented by the volume. */
    public interface Blocks {
        /**
         * A new node's blocks, counted as referenced in the running transaction:
         * {@code {first copy, second copy}}, the second 0 unless metadata is {@code dup}.
         */
        long[] allocateNode(int blocks) throws IOException;

        /** A node's blocks lose their reference in the running transaction. */
        void nodeFreed(long block, int blocks);
    }

    private final String volume;
    private final String checksumName;
    private final BlockDevice device;
    private final NodeCodec codec;
    private final int blockSize;
    private final int nodeBlocks;
    private final Blocks blocks;
    private final int cleanLimit;
    private final org.cowstack.storage.cow.core.Healing healing;
    private final java.util.function.BooleanSupplier writable;
    private final Map<Long, Node> dirty = new HashMap<>();
    private final Map<Long, Node> frozen = new HashMap<>();
    private final LinkedHashMap<Long, Node> clean = new LinkedHashMap<>(256, 0.75f, true);
    private volatile long generation;
    /**
     * The running generation at mount: nodes older than it came from the device as it was
     * (their second-copy pointers are checked before those copies are freed); newer ones
     * were placed by this store.
     */
    private final long firstGeneration;

    public MetadataStore(String volume, String checksumName, BlockDevice device, NodeCodec codec, int blockSize,
            Blocks blocks, long generation, int cleanLimit, org.cowstack.storage.cow.core.Healing healing,
            java.util.function.BooleanSupplier writable) {
        this.volume = volume;
        this.checksumName = checksumName;
        this.device = device;
        this.codec = codec;
        this.blockSize = blockSize;
        this.nodeBlocks = codec.nodeSize() / blockSize;
        this.blocks = blocks;
        this.generation = generation;
        this.firstGeneration = generation;
        this.cleanLimit = cleanLimit;
        this.healing = healing;
        this.writable = writable;
    }

    /** Blocks per node: the node size is at least 4 KiB, whatever the block size. */
    public int nodeBlocks() {
        return nodeBlocks;
    }

    @Override
    public int nodeSize() {
        return codec.nodeSize();
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public Node read(long block, long mirror, long gen, TreeId owner, int level) throws IOException {
        synchronized (this) {
            Node n = dirty.get(block);
            if (n == null) {
                n = frozen.get(block);
            }
            if (n == null) {
                n = clean.get(block);
            }
            if (n != null) {
                Node found = n;
                Corruption.check(n.generation() == gen && n.owner() == owner && n.level() == level,
                        () -> owner + " expects generation " + gen + " level " + level + " at block " + block + ", found "
                                + found);
                return n;
            }
        }
        Node n;
        try {
            n = readCopy(block, block, mirror, gen, owner, level);
        } catch (IOException first) {
            if (mirror == 0) {
                String line = owner + " node at block " + block + " is bad and has no second copy: " + first.getMessage();
                healing.event(nodeBlocks, 0, volume + ": " + line);
                healing.metadataLost(line);
                throw first;
            }
            try {
                n = readCopy(mirror, block, mirror, gen, owner, level);
            } catch (IOException second) {
                String line = owner + " node at block " + block + " is bad in both copies (second at block " + mirror
                        + "): " + first.getMessage();
                healing.event(nodeBlocks, 0, volume + ": " + line);
                healing.metadataLost(line);
                first.addSuppressed(second);
                throw first;
            }
            boolean fixed = repair(block, n);
            healing.event(nodeBlocks, fixed ? nodeBlocks : 0, volume + ": " + owner + " node at block " + block
                    + " was bad (" + first.getMessage() + "); read its second copy at block " + mirror
                    + (fixed ? " and rewrote the first" : ", the first could not be rewritten"));
        }
        synchronized (this) {
            clean.put(block, n);
            while (clean.size() > cleanLimit) {
                Long eldest = clean.keySet().iterator().next();
                clean.remove(eldest);
            }
        }
        return n;
    }

    /** Reads and verifies the copy of node {@code block} stored at {@code at}. */
    private Node readCopy(long at, long block, long mirror, long gen, TreeId owner, int level) throws IOException {
        ByteBuffer raw = device.allocate(codec.nodeSize());
        device.read(raw, at * blockSize);
        try {
            return codec.decode(raw, block, mirror, gen, owner, level);
        } catch (NodeCodec.ChecksumFailure e) {
            healing.checksumError();
            throw new ChecksumMismatchException(volume, "metadata (" + owner + " node)", at * (long) blockSize,
                    at, checksumName, e.expected, e.actual);
        } catch (Corruption e) {
            healing.generationError(); // the node verifies but is not the one its parent names
            throw new CorruptImageException(device.uri().toString(), e.getMessage(), e);
        }
    }

    /**
     * Rewrites the first copy of a node from its good second copy: same bytes, same
     * place (the node is committed and keeps its blocks). False when the volume is
     * read-only or the write fails (the next read heals again).
     */
    private boolean repair(long block, Node n) {
        if (!writable.getAsBoolean()) {
            return false;
        }
        try {
            writeCopy(block, n);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Writes node {@code n} over its copy at block {@code at}: the same bytes in either place. */
    private void writeCopy(long at, Node n) throws IOException {
        device.write(codec.encode(n, device.allocate(codec.nodeSize())), at * blockSize);
    }

    /**
     * What a scrub found for one node: the node as decoded from a good copy (null when
     * neither verified), and per copy null when it verified or the error it failed with.
     */
    public record Scrubbed(Node node, IOException[] bad) {
        /** Whether a bad copy can be (or was) rewritten: the other one verified. */
        public boolean repairable() {
            return node != null;
        }
    }

    /**
     * Checks both copies of node {@code block} as stored on the device (not the cache),
     * rewriting a bad one from a good one with {@code repair}: what a scrub does for
     * metadata. A committed node is never written in place otherwise, so the rewrite
     * needs no lock (the scrub pins frees so the node is not reused meanwhile).
     */
    public Scrubbed scrub(long block, long mirror, long gen, TreeId owner, int level, boolean repair) {
        IOException[] bad = new IOException[2];
        Node good = null;
        long[] at = {block, mirror};
        for (int c = 0; c < (mirror == 0 ? 1 : 2); c++) {
            try {
                Node n = readCopy(at[c], block, mirror, gen, owner, level);
                good = good == null ? n : good;
            } catch (IOException e) {
                bad[c] = e;
            }
        }
        if (repair && good != null && writable.getAsBoolean()) {
            for (int c = 0; c < 2; c++) {
                if (bad[c] != null) {
                    try {
                        writeCopy(at[c], good);
                    } catch (IOException | RuntimeException e) {
                        bad[c].addSuppressed(e);
                    }
                }
            }
        }
        return new Scrubbed(good, bad);
    }

    @Override
    public Node create(TreeId owner, int level) throws IOException {
        long[] at = blocks.allocateNode(nodeBlocks);
        Node n = Node.empty(owner, level, at[0], generation, at[1]);
        synchronized (this) {
            dirty.put(at[0], n);
        }
        return n;
    }

    @Override
    public void free(Node node) {
        boolean beingWritten;
        synchronized (this) {
            if (node.generation() == generation) {
                dirty.remove(node.block());
            } else {
                clean.remove(node.block());
            }
            // frozen by a commit whose writes may still be under way: its second copy may not
            // be on the device yet (the old content there is no other node's), and this store
            // encoded it itself
            Node f = frozen.get(node.block());
            beingWritten = f != null && f.generation() == node.generation();
        }
        blocks.nodeFreed(node.block(), nodeBlocks);
        if (node.mirror() != 0) {
            if (node.generation() < firstGeneration && !beingWritten) {
                checkMirror(node);
            }
            blocks.nodeFreed(node.mirror(), nodeBlocks);
        }
    }

    /**
     * Checks, before the second copy of a node read from the device is freed, that its
     * block holds that copy or no node at all (nodes this store placed are trusted: the
     * read costs a device read per node, a third of the random-write throughput when it
     * was made for every committed node): a pointer whose second copy names another node's block
     * would otherwise free that node's block while it is in use. A copy that fails its
     * checksum or cannot be read is the node's, only damaged, and is freed with it.
     *
     * @throws Corruption when the block holds another node
     */
    private void checkMirror(Node node) {
        try {
            readCopy(node.mirror(), node.block(), node.mirror(), node.generation(), node.owner(), node.level());
        } catch (CorruptImageException e) {
            throw new Corruption(node + " names block " + node.mirror() + " as its second copy, which holds another "
                    + "node: " + e.getMessage());
        } catch (IOException e) {
            // damaged or unreadable: still this node's copy
        }
    }

    /** A node encoded for writing, and where: its block, and its second copy's (0: none). */
    public record Encoded(long block, long mirror, ByteBuffer bytes) {
    }

    /**
     * Ends the running transaction for metadata: encodes every dirty node, keeps them
     * pinned until {@link #written()}, and starts the next generation.
     */
    public synchronized List<Encoded> freeze() {
        List<Encoded> out = new ArrayList<>(dirty.size());
        for (Node n : dirty.values()) {
            out.add(new Encoded(n.block(), n.mirror(), codec.encode(n, device.allocate(codec.nodeSize()))));
            frozen.put(n.block(), n);
        }
        dirty.clear();
        generation++;
        return out;
    }

    /** The frozen nodes are on the device: they may leave memory like any clean node. */
    public synchronized void written() {
        for (Map.Entry<Long, Node> e : frozen.entrySet()) {
            clean.put(e.getKey(), e.getValue());
        }
        frozen.clear();
        while (clean.size() > cleanLimit) {
            clean.remove(clean.keySet().iterator().next());
        }
    }

    public synchronized int dirtyCount() {
        return dirty.size();
    }
}
