package org.cowstack.storage.cow.btree;

import java.io.IOException;

import org.cowstack.storage.cow.format.TreeId;

/**
 * Where a {@link BTree}'s nodes live: the engine's node cache over the device, or a
 * map in tests. Called with the tree's lock held.
 */
public interface NodeStore {
    /** Bytes per node: the volume's block size. */
    int nodeSize();

    /** The running transaction: nodes of older generations are copied before they change. */
    long generation();

    /**
     * The node at {@code block}, verified: checksum, location, owner, level, generation.
     * {@code mirror} is where its second copy is (0: none), read when the first fails.
     *
     * @throws IOException when it cannot be read or does not verify
     */
    Node read(long block, long mirror, long generation, TreeId owner, int level) throws IOException;

    /** A new empty node of the running transaction, with a block allocated for it. */
    Node create(TreeId owner, int level) throws IOException;

    /**
     * The node is no longer referenced once the running transaction commits; its blocks
     * (and its second copy's) may be reused only after that commit is durable.
     */
    void free(Node node);
}
