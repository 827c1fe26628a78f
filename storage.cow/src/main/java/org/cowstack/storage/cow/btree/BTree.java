package org.cowstack.storage.cow.btree;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;

import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;

/**
 * A copy-on-write B+tree of variable-size items in fixed-size nodes.
 *
 * <p>A change copies every node on its path that belongs to an earlier generation
 * (allocating a new block for the copy and freeing the old one through the
 * {@link NodeStore}), so the last committed tree stays intact on disk and in memory
 * until the next commit is durable. Nodes split when their items no longer fit and are
 * merged with a neighbour when they fall below a quarter full.
 *
 * <p>Not thread-safe: the engine holds its tree lock (shared for reads, exclusive for
 * changes). Values passed in and returned are never modified; callers must not modify
 * them either.
 */
public final class BTree {
    /** A key and its value. */
    public record Entry(Key key, byte[] value) {
    }

    /** Sees items in key order; returns false to stop. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(Key key, byte[] value) throws IOException;
    }

    private final NodeStore store;
    private final TreeId id;
    private long rootBlock;
    private long rootGeneration;
    private int rootLevel;
    private long rootMirror;

    public BTree(NodeStore store, TreeId id, long rootBlock, long rootGeneration, int rootLevel) {
        this(store, id, rootBlock, rootGeneration, rootLevel, 0);
    }

    public BTree(NodeStore store, TreeId id, long rootBlock, long rootGeneration, int rootLevel, long rootMirror) {
        this.store = store;
        this.id = id;
        this.rootBlock = rootBlock;
        this.rootGeneration = rootGeneration;
        this.rootLevel = rootLevel;
        this.rootMirror = rootMirror;
    }

    /** A new empty tree: one empty leaf. */
    public static BTree create(NodeStore store, TreeId id) throws IOException {
        Node root = store.create(id, 0);
        return new BTree(store, id, root.block, root.generation, 0, root.mirror);
    }

    public TreeId id() {
        return id;
    }

    public long rootBlock() {
        return rootBlock;
    }

    public long rootGeneration() {
        return rootGeneration;
    }

    public int rootLevel() {
        return rootLevel;
    }

    /** The root node's second copy, 0 when it has none. */
    public long rootMirror() {
        return rootMirror;
    }

    /** The largest value that fits: half a node, so that a split always makes two nodes that fit. */
    /** Bytes per node of this tree's store. */
    public int nodeSize() {
        return store.nodeSize();
    }

    public static int maxValueBytes(int nodeSize) {
        return (nodeSize - Node.HEADER) / 2 - Node.LEAF_ITEM;
    }

    private Node root() throws IOException {
        return store.read(rootBlock, rootMirror, rootGeneration, id, rootLevel);
    }

    /**
     * Child {@code i}, checked to hold keys within its parent's bounds ({@code keys[i]} up
     * to {@code keys[i + 1]}): a pointer to another subtree's node (one that two parents
     * name, or one moved) is found when it is read, before a change copies and frees it
     * while the other pointer still names it.
     */
    private Node child(Node parent, int i) throws IOException {
        Node c = store.read(parent.childBlock(i), parent.childMirror(i), parent.childGeneration(i), id,
                parent.level - 1);
        int last = c.size() - 1;
        Corruption.check(last < 0 || c.keys.get(0).compareTo(parent.keys.get(i)) >= 0
                && (i + 1 == parent.size() || c.keys.get(last).compareTo(parent.keys.get(i + 1)) < 0),
                () -> c + " holds keys " + c.keys.get(0) + ".." + c.keys.get(last) + ", outside the range its parent "
                        + parent + " gives child " + i);
        return c;
    }

    private void setRoot(Node n) {
        rootBlock = n.block;
        rootGeneration = n.generation;
        rootLevel = n.level;
        rootMirror = n.mirror;
    }

    /** Index of the child whose range holds {@code k}: the last with keys[i] <= k, or 0 (k below every key). */
    private static int childIndex(Node n, Key k) {
        int i = Collections.binarySearch(n.keys, k);
        return i >= 0 ? i : Math.max(0, -i - 2);
    }

    public byte[] get(Key k) throws IOException {
        Node n = root();
        while (!n.isLeaf()) {
            n = child(n, childIndex(n, k));
        }
        int i = Collections.binarySearch(n.keys, k);
        return i >= 0 ? n.values.get(i) : null;
    }

    /** The entry with the greatest key at most {@code k}, or null. */
    public Entry floor(Key k) throws IOException {
        return floor(root(), k);
    }

    private Entry floor(Node n, Key k) throws IOException {
        if (n.isLeaf()) {
            int i = Collections.binarySearch(n.keys, k);
            int at = i >= 0 ? i : -i - 2;
            return at >= 0 ? new Entry(n.keys.get(at), n.values.get(at)) : null;
        }
        for (int j = childIndex(n, k); j >= 0; j--) {
            Entry e = floor(child(n, j), k);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** The entry with the least key at least {@code k}, or null. */
    public Entry ceiling(Key k) throws IOException {
        return ceiling(root(), k);
    }

    private Entry ceiling(Node n, Key k) throws IOException {
        if (n.isLeaf()) {
            int i = Collections.binarySearch(n.keys, k);
            int at = i >= 0 ? i : -i - 1;
            return at < n.size() ? new Entry(n.keys.get(at), n.values.get(at)) : null;
        }
        for (int j = childIndex(n, k); j < n.size(); j++) {
            Entry e = ceiling(child(n, j), k);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** Visits the items with keys in {@code [from, to]} in order, until the visitor says stop. */
    public void scan(Key from, Key to, Visitor visitor) throws IOException {
        scan(root(), from, to, visitor);
    }

    /** Visits every item in order, until the visitor says stop. */
    public void scanAll(Visitor visitor) throws IOException {
        scan(root(), Key.first(Long.MIN_VALUE, 0), Key.last(Long.MAX_VALUE, 255), visitor);
    }

    private boolean scan(Node n, Key from, Key to, Visitor visitor) throws IOException {
        if (n.isLeaf()) {
            int i = Collections.binarySearch(n.keys, from);
            for (int at = i >= 0 ? i : -i - 1; at < n.size(); at++) {
                Key key = n.keys.get(at);
                if (key.compareTo(to) > 0 || !visitor.visit(key, n.values.get(at))) {
                    return false;
                }
            }
            return true;
        }
        int start = childIndex(n, from);
        for (int j = start; j < n.size(); j++) {
            if (j > start && n.keys.get(j).compareTo(to) > 0) {
                return false;
            }
            if (!scan(child(n, j), from, to, visitor)) {
                return false;
            }
        }
        return true;
    }

    /** The node itself when it belongs to the running transaction, otherwise a copy that does. */
    private Node writable(Node n) throws IOException {
        if (n.generation == store.generation()) {
            return n;
        }
        Node copy = store.create(id, n.level);
        copy.appendAll(n);
        store.free(n);
        return copy;
    }

    /** Copies the path to {@code k} as needed; returns it, root first, leaf last on top. */
    private Deque<int[]> writablePath(Key k, Deque<Node> nodes) throws IOException {
        Deque<int[]> indexes = new ArrayDeque<>();
        Node n = writable(root());
        setRoot(n);
        nodes.push(n);
        while (!n.isLeaf()) {
            int i = childIndex(n, k);
            if (i == 0 && k.compareTo(n.keys.get(0)) < 0) {
                n.setKey(0, k); // keys[0] stays a lower bound of everything below it
            }
            Node c = writable(child(n, i));
            n.setChild(i, c.block, c.generation, c.mirror);
            indexes.push(new int[] {i});
            nodes.push(c);
            n = c;
        }
        return indexes;
    }

    /** Inserts or replaces. */
    public void put(Key k, byte[] value) throws IOException {
        if (value.length > maxValueBytes(store.nodeSize())) {
            throw new IllegalArgumentException("item " + k + " of " + value.length + " bytes; at most "
                    + maxValueBytes(store.nodeSize()) + " fit in a " + store.nodeSize() + "-byte node");
        }
        Deque<Node> nodes = new ArrayDeque<>();
        Deque<int[]> indexes = writablePath(k, nodes);
        Node leaf = nodes.pop();
        int i = Collections.binarySearch(leaf.keys, k);
        if (i >= 0) {
            leaf.setValue(i, value);
        } else {
            leaf.addLeaf(-i - 1, k, value);
        }
        Node cur = leaf;
        while (cur.bytes() > store.nodeSize()) {
            Node right = split(cur);
            if (nodes.isEmpty()) {
                Node root = store.create(id, cur.level + 1);
                root.addChild(0, cur.keys.get(0), cur.block, cur.generation, cur.mirror);
                root.addChild(1, right.keys.get(0), right.block, right.generation, right.mirror);
                setRoot(root);
                Corruption.check(root.level <= org.cowstack.storage.cow.format.Superblock.MAX_LEVEL,
                        () -> id + " is deeper than " + org.cowstack.storage.cow.format.Superblock.MAX_LEVEL + " levels");
                return;
            }
            Node parent = nodes.pop();
            int at = indexes.pop()[0];
            parent.addChild(at + 1, right.keys.get(0), right.block, right.generation, right.mirror);
            cur = parent;
        }
    }

    /** Moves the upper part of an overfull node into a new right sibling, splitting as evenly as fits. */
    private Node split(Node n) throws IOException {
        int capacity = store.nodeSize() - Node.HEADER;
        int total = n.bytes() - Node.HEADER;
        int best = -1;
        int bestWorst = Integer.MAX_VALUE;
        int left = 0;
        for (int i = 1; i < n.size(); i++) {
            left += itemBytes(n, i - 1);
            int right = total - left;
            int worst = Math.max(left, right);
            if (left <= capacity && right <= capacity && worst < bestWorst) {
                best = i;
                bestWorst = worst;
            }
        }
        if (best < 0) {
            throw new IllegalStateException(n + " cannot be split into two nodes that fit");
        }
        Node right = store.create(id, n.level);
        n.moveTail(best, right);
        return right;
    }

    private static int itemBytes(Node n, int i) {
        return n.isLeaf() ? Node.LEAF_ITEM + n.values.get(i).length : Node.INTERNAL_ITEM;
    }

    /** Removes the item; returns whether there was one. */
    public boolean delete(Key k) throws IOException {
        if (get(k) == null) {
            return false; // do not copy a path for nothing
        }
        Deque<Node> nodes = new ArrayDeque<>();
        Deque<int[]> indexes = writablePath(k, nodes);
        Node leaf = nodes.pop();
        leaf.removeLeaf(Collections.binarySearch(leaf.keys, k));
        Node cur = leaf;
        while (!nodes.isEmpty()) {
            Node parent = nodes.pop();
            int i = indexes.pop()[0];
            if (cur.size() == 0) {
                parent.removeChild(i);
                store.free(cur);
            } else if (cur.bytes() < store.nodeSize() / 4 && parent.size() > 1) {
                mergeWithSibling(parent, i, cur);
            }
            cur = parent;
        }
        Node root = cur;
        while (!root.isLeaf() && root.size() <= 1) {
            store.free(root);
            root = root.size() == 1 ? child(root, 0) : store.create(id, 0);
        }
        setRoot(root);
        return true;
    }

    /** Merges the underfull child {@code i} with a neighbour when both fit in one node. */
    private void mergeWithSibling(Node parent, int i, Node cur) throws IOException {
        int li = i > 0 ? i - 1 : i;
        Node left = li == i ? cur : child(parent, li);
        Node right = li == i ? child(parent, i + 1) : cur;
        if (left.bytes() + right.bytes() - Node.HEADER > store.nodeSize()) {
            return;
        }
        left = writable(left);
        left.appendAll(right, parent.keys.get(li + 1));
        parent.setChild(li, left.block, left.generation, left.mirror);
        parent.removeChild(li + 1);
        store.free(right);
    }

    /** Items in the tree (a full walk, for tests and audits). */
    public long count() throws IOException {
        long[] n = {0};
        scanAll((k, v) -> {
            n[0]++;
            return true;
        });
        return n[0];
    }

    /** Visits every node's block, root first (for audits of space accounting). */
    public void forEachNode(NodeVisitor visitor) throws IOException {
        forEachNode(root(), visitor);
    }

    /** Sees a node. */
    @FunctionalInterface
    public interface NodeVisitor {
        void visit(Node node) throws IOException;
    }

    private void forEachNode(Node n, NodeVisitor visitor) throws IOException {
        visitor.visit(n);
        if (!n.isLeaf()) {
            for (int i = 0; i < n.size(); i++) {
                forEachNode(child(n, i), visitor);
            }
        }
    }

    /**
     * Checks the invariants: keys sorted and within their parent's bounds, nodes within
     * size, no empty node below the root, levels consistent.
     */
    public void verify() throws IOException {
        verify(root(), null, null, true);
    }

    private void verify(Node n, Key low, Key high, boolean isRoot) throws IOException {
        Corruption.check(n.bytes() <= store.nodeSize(), () -> n + " holds " + n.bytes() + " bytes");
        Corruption.check(isRoot || n.size() > 0, () -> n + " is empty below the root");
        for (int i = 0; i < n.size(); i++) {
            Key k = n.keys.get(i);
            int at = i;
            Corruption.check(i == 0 || n.keys.get(i - 1).compareTo(k) < 0, () -> n + ": keys out of order at " + at);
            Corruption.check(low == null || k.compareTo(low) >= 0, () -> n + ": key " + k + " below " + low);
            Corruption.check(high == null || k.compareTo(high) < 0, () -> n + ": key " + k + " not below " + high);
        }
        if (!n.isLeaf()) {
            for (int i = 0; i < n.size(); i++) {
                Key childLow = i == 0 ? low : n.keys.get(i);
                Key childHigh = i + 1 < n.size() ? n.keys.get(i + 1) : high;
                verify(child(n, i), childLow, childHigh, false);
            }
        }
    }
}
