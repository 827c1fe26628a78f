package org.cowstack.storage.cow.cache;

/**
 * Values by block index, in a radix tree of 64-way nodes (as the kernel's page cache
 * indexes a file's pages): a lookup is a few array loads, an insert allocates a node
 * per 64 consecutive blocks at most, nothing is boxed, and a range is visited in index
 * order without visiting empty subtrees. The tree is as tall as its largest index
 * needs; empty nodes are freed as their last value leaves. Not thread-safe: the
 * {@link PageCache}'s monitor guards it.
 *
 * @param <V> the value kind
 */
final class PageTree<V> {
    private static final int BITS = 6;
    private static final int FAN = 1 << BITS;
    private static final int MASK = FAN - 1;
    /** Levels that cover every non-negative long (6 * 11 = 66 bits). */
    private static final int MAX_HEIGHT = 11;

    /** A visitor of the values of a range, in index order. */
    @FunctionalInterface
    interface Visitor<V> {
        void visit(long index, V value);
    }

    private static final class Node {
        final Object[] slots = new Object[FAN];
        int used;
    }

    private Node root;
    /** Levels below and including the root; 0 when empty. */
    private int height;
    private long size;

    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    private static boolean fits(long index, int height) {
        return height >= MAX_HEIGHT || (index >>> (BITS * height)) == 0;
    }

    private static int slot(long index, int level) {
        return (int) (index >>> (BITS * level)) & MASK;
    }

    @SuppressWarnings("unchecked")
    V get(long index) {
        if (index < 0 || root == null || !fits(index, height)) {
            return null;
        }
        Node n = root;
        for (int level = height - 1; level > 0; level--) {
            n = (Node) n.slots[slot(index, level)];
            if (n == null) {
                return null;
            }
        }
        return (V) n.slots[slot(index, 0)];
    }

    /** Sets the value at {@code index}; returns the one it replaces, or null. */
    @SuppressWarnings("unchecked")
    V put(long index, V value) {
        if (index < 0 || value == null) {
            throw new IllegalArgumentException("index " + index + ", value " + value);
        }
        if (root == null) {
            root = new Node();
            height = 1;
        }
        while (!fits(index, height)) {
            Node up = new Node();
            up.slots[0] = root;
            up.used = 1;
            root = up;
            height++;
        }
        Node n = root;
        for (int level = height - 1; level > 0; level--) {
            int s = slot(index, level);
            Node child = (Node) n.slots[s];
            if (child == null) {
                child = new Node();
                n.slots[s] = child;
                n.used++;
            }
            n = child;
        }
        int s = slot(index, 0);
        V old = (V) n.slots[s];
        n.slots[s] = value;
        if (old == null) {
            n.used++;
            size++;
        }
        return old;
    }

    /** Removes the value at {@code index}; returns it, or null. */
    V remove(long index) {
        if (index < 0 || root == null || !fits(index, height)) {
            return null;
        }
        Node[] path = new Node[height];
        Node n = root;
        for (int level = height - 1; level > 0; level--) {
            path[level] = n;
            n = (Node) n.slots[slot(index, level)];
            if (n == null) {
                return null;
            }
        }
        path[0] = n;
        int s = slot(index, 0);
        @SuppressWarnings("unchecked")
        V old = (V) n.slots[s];
        if (old == null) {
            return null;
        }
        n.slots[s] = null;
        n.used--;
        size--;
        // Free the nodes this emptied, bottom up.
        for (int level = 0; level < height - 1 && path[level].used == 0; level++) {
            Node parent = path[level + 1];
            parent.slots[slot(index, level + 1)] = null;
            parent.used--;
        }
        if (size == 0) {
            root = null;
            height = 0;
        }
        return old;
    }

    /** Visits the values with index in {@code [from, to)}, in index order. */
    void visit(long from, long to, Visitor<V> visitor) {
        walk(from, to, (i, v) -> {
            visitor.visit(i, v);
            return false;
        });
    }

    /** The lowest index in {@code [from, to)} that holds a value, or {@code to}. */
    long next(long from, long to) {
        long[] found = {to};
        walk(from, to, (i, v) -> {
            found[0] = i;
            return true;
        });
        return found[0];
    }

    /** A visit that can end early: {@code true} stops the walk. */
    private interface Until<V> {
        boolean stopAt(long index, V value);
    }

    /** Walks the values with index in {@code [from, to)} in index order until {@code until} stops it. */
    private void walk(long from, long to, Until<V> until) {
        if (root != null && from < to) {
            walk(root, height - 1, 0, Math.max(0, from), to, until);
        }
    }

    /** Answers whether the walk was stopped. */
    @SuppressWarnings("unchecked")
    private boolean walk(Node n, int level, long base, long from, long to, Until<V> until) {
        int shift = BITS * level;
        for (int s = 0; s < FAN; s++) {
            Object child = n.slots[s];
            if (child == null) {
                continue;
            }
            long first = base + ((long) s << shift);
            long span = shift >= 63 ? Long.MAX_VALUE : 1L << shift;
            long last = span == Long.MAX_VALUE || first > Long.MAX_VALUE - (span - 1) ? Long.MAX_VALUE
                    : first + span - 1;
            if (last < from) {
                continue;
            }
            if (first >= to || first < 0) {
                return true; // past the range: nothing after this slot is in it either
            }
            if (level == 0 ? until.stopAt(first, (V) child) : walk((Node) child, level - 1, first, from, to, until)) {
                return true;
            }
        }
        return false;
    }

    /** How many values have an index in {@code [from, to)}. */
    long count(long from, long to) {
        if (from <= 0 && to == Long.MAX_VALUE) {
            return size;
        }
        long[] n = new long[1];
        visit(from, to, (i, v) -> n[0]++);
        return n[0];
    }
}
