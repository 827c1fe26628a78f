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
import org.cowstack.storage.api.alloc.Extent;
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
        /** A new node's blocks, counted as referenced in the running transaction. */
        Extent allocateNode(int blocks) throws IOException;

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
    private final Map<Long, Node> dirty = new HashMap<>();
    private final Map<Long, Node> frozen = new HashMap<>();
    private final LinkedHashMap<Long, Node> clean = new LinkedHashMap<>(256, 0.75f, true);
    private volatile long generation;

    public MetadataStore(String volume, String checksumName, BlockDevice device, NodeCodec codec, int blockSize,
            Blocks blocks, long generation, int cleanLimit) {
        this.volume = volume;
        this.checksumName = checksumName;
        this.device = device;
        this.codec = codec;
        this.blockSize = blockSize;
        this.nodeBlocks = codec.nodeSize() / blockSize;
        this.blocks = blocks;
        this.generation = generation;
        this.cleanLimit = cleanLimit;
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
    public Node read(long block, long gen, TreeId owner, int level) throws IOException {
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
        ByteBuffer raw = device.allocate(codec.nodeSize());
        device.read(raw, block * blockSize);
        Node n;
        try {
            n = codec.decode(raw, block, gen, owner, level);
        } catch (NodeCodec.ChecksumFailure e) {
            throw new ChecksumMismatchException(volume, "metadata (" + owner + " node)", block * (long) blockSize,
                    block, checksumName, e.expected, e.actual);
        } catch (Corruption e) {
            throw new CorruptImageException(device.uri().toString(), e.getMessage(), e);
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

    @Override
    public Node create(TreeId owner, int level) throws IOException {
        Extent e = blocks.allocateNode(nodeBlocks);
        Node n = Node.empty(owner, level, e.start(), generation);
        synchronized (this) {
            dirty.put(e.start(), n);
        }
        return n;
    }

    @Override
    public void free(long block, long gen) {
        synchronized (this) {
            if (gen == generation) {
                dirty.remove(block);
            } else {
                clean.remove(block);
            }
        }
        blocks.nodeFreed(block, nodeBlocks);
    }

    /** A node encoded for writing, and where. */
    public record Encoded(long block, ByteBuffer bytes) {
    }

    /**
     * Ends the running transaction for metadata: encodes every dirty node, keeps them
     * pinned until {@link #written()}, and starts the next generation.
     */
    public synchronized List<Encoded> freeze() {
        List<Encoded> out = new ArrayList<>(dirty.size());
        for (Node n : dirty.values()) {
            out.add(new Encoded(n.block(), codec.encode(n, device.allocate(codec.nodeSize()))));
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
