package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.btree.NodeStore;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;

/**
 * The set of a volume's trees, one per {@link TreeId}, opened from the superblock's
 * root table and giving back the rows a commit writes. A new tree is a new
 * {@link TreeId}: it gets a row here and in the table, with nothing else to change.
 */
public final class Trees {
    private final Map<TreeId, BTree> trees;

    private Trees(Map<TreeId, BTree> trees) {
        this.trees = Collections.unmodifiableMap(trees);
    }

    /** Empty trees, for a new volume. */
    public static Trees create(NodeStore store) throws IOException {
        Map<TreeId, BTree> out = new EnumMap<>(TreeId.class);
        for (TreeId id : TreeId.values()) {
            out.put(id, BTree.create(store, id));
        }
        return new Trees(out);
    }

    /** The trees the superblock's root table names (it has a row for every {@link TreeId}). */
    public static Trees open(NodeStore store, Superblock sb) {
        Map<TreeId, BTree> out = new EnumMap<>(TreeId.class);
        for (TreeId id : TreeId.values()) {
            Superblock.Root r = sb.root(id);
            out.put(id, new BTree(store, id, r.block(), r.generation(), r.level()));
        }
        return new Trees(out);
    }

    public BTree get(TreeId id) {
        return trees.get(id);
    }

    /** Every tree, in {@link TreeId} order. */
    public Collection<BTree> all() {
        return trees.values();
    }

    /** The root-table rows of the trees as they are now, by tree id: what a commit records. */
    public Map<Integer, Superblock.Root> roots() {
        Map<Integer, Superblock.Root> out = new TreeMap<>();
        for (BTree t : trees.values()) {
            out.put(t.id().id(), new Superblock.Root(t.rootBlock(), t.rootGeneration(), t.rootLevel()));
        }
        return out;
    }
}
