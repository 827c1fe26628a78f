package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
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
 * {@link TreeId}: it gets a row here and in the table, with nothing else to change. A
 * tree that is not {@linkplain TreeId#required() required} exists only once something
 * needs it ({@link #create}); until then it has no row.
 */
public final class Trees {
    private final NodeStore store;
    /** Changed under the exclusive tree lock only (an optional tree created). */
    private final Map<TreeId, BTree> trees;

    private Trees(NodeStore store, Map<TreeId, BTree> trees) {
        this.store = store;
        this.trees = trees;
    }

    /** Empty required trees, for a new volume. */
    public static Trees create(NodeStore store) throws IOException {
        Map<TreeId, BTree> out = new EnumMap<>(TreeId.class);
        for (TreeId id : TreeId.values()) {
            if (id.required()) {
                out.put(id, BTree.create(store, id));
            }
        }
        return new Trees(store, out);
    }

    /** The trees the superblock's root table names (it has a row for every required {@link TreeId}). */
    public static Trees open(NodeStore store, Superblock sb) {
        Map<TreeId, BTree> out = new EnumMap<>(TreeId.class);
        for (TreeId id : TreeId.values()) {
            Superblock.Root r = sb.root(id);
            if (r != null) {
                out.put(id, new BTree(store, id, r.block(), r.generation(), r.level(), r.mirror()));
            }
        }
        return new Trees(store, out);
    }

    /** The tree, or null for an optional tree the volume does not have yet. */
    public BTree get(TreeId id) {
        return trees.get(id);
    }

    /** The tree, created empty in the running transaction if the volume has none yet. Tree lock held exclusively. */
    public BTree create(TreeId id) throws IOException {
        BTree t = trees.get(id);
        if (t == null) {
            t = BTree.create(store, id);
            trees.put(id, t);
        }
        return t;
    }

    /** Every tree the volume has, in {@link TreeId} order (a snapshot). */
    public Collection<BTree> all() {
        return new ArrayList<>(trees.values());
    }

    /** The root-table rows of the trees as they are now, by tree id: what a commit records. */
    public Map<Integer, Superblock.Root> roots() {
        Map<Integer, Superblock.Root> out = new TreeMap<>();
        for (BTree t : trees.values()) {
            out.put(t.id().id(), new Superblock.Root(t.rootBlock(), t.rootGeneration(), t.rootLevel(), t.rootMirror()));
        }
        return out;
    }

    /** The read-only compatible features the trees the volume has need. */
    public long compatRo() {
        return trees.containsKey(TreeId.BITMAP) ? Superblock.COMPAT_RO_BITMAPS : 0;
    }
}
