package org.cowstack.storage.cow.btree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.cow.format.TreeId;

/**
 * A node store in memory that behaves like the engine's: nodes of the running
 * transaction live in memory, commit serializes them (with checksums) to a map standing
 * in for the disk, reads of committed nodes decode from there, and freed blocks are
 * reused only after the commit that freed them.
 */
final class MemoryNodeStore implements NodeStore {
    final NodeCodec codec;
    final Map<Long, byte[]> disk = new HashMap<>();
    final Map<Long, Node> dirty = new HashMap<>();
    final Set<Long> live = new HashSet<>();
    private final Deque<Long> reusable = new ArrayDeque<>();
    private final Set<Long> freedThisTransaction = new HashSet<>();
    private long generation = 1;
    private long nextBlock = 100;

    MemoryNodeStore(int nodeSize) {
        codec = new NodeCodec(nodeSize, UUID.randomUUID(), new Crc32c());
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
        Node n = dirty.get(block);
        if (n != null) {
            return n;
        }
        byte[] raw = disk.get(block);
        if (raw == null) {
            throw new IOException("block " + block + " was never written");
        }
        try {
            return codec.decode(ByteBuffer.wrap(raw), block, mirror, gen, owner, level);
        } catch (NodeCodec.ChecksumFailure e) {
            throw new IOException("checksum failure at " + block, e);
        }
    }

    @Override
    public Node create(TreeId owner, int level) {
        long block = reusable.isEmpty() ? nextBlock++ : reusable.pop();
        if (!live.add(block)) {
            throw new AssertionError("block " + block + " allocated twice");
        }
        Node n = new Node(owner, level, block, generation, 0);
        dirty.put(block, n);
        return n;
    }

    @Override
    public void free(Node node) {
        long block = node.block();
        long gen = node.generation();
        if (!live.remove(block)) {
            throw new AssertionError("block " + block + " freed but not live");
        }
        if (gen == generation && dirty.remove(block) == null) {
            throw new AssertionError("block " + block + " of this transaction was not dirty");
        }
        freedThisTransaction.add(block);
    }

    /** Writes every dirty node, then starts the next transaction; frees become reusable. */
    void commit() {
        for (Node n : dirty.values()) {
            ByteBuffer b = ByteBuffer.allocate(nodeSize());
            codec.encode(n, b);
            disk.put(n.block, b.array());
        }
        dirty.clear();
        generation++;
        for (long b : freedThisTransaction) {
            disk.remove(b); // gone for good: a stale reader would now fail loudly
        }
        reusable.addAll(freedThisTransaction);
        freedThisTransaction.clear();
    }
}
