package org.cowstack.storage.cow.btree;

import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;

/**
 * A B+tree node in memory. Leaves hold keys and values; internal nodes hold keys and
 * child pointers (block, generation and the block of the child's second copy, 0 when
 * it has none), where {@code keys[i]} is a lower bound of
 * child {@code i}'s keys and the upper bound (exclusive) of child {@code i - 1}'s.
 *
 * <p>A node whose generation is older than the running transaction is shared with the
 * committed state and is never modified: {@link BTree} copies it first. Values are
 * never modified in place either.
 */
public final class Node {
    /** Bytes before the first item. */
    public static final int HEADER = 80;
    /** Key, value offset and value length. */
    public static final int LEAF_ITEM = 25;
    /** Key, child block, child generation and child mirror block. */
    public static final int INTERNAL_ITEM = 41;

    final TreeId owner;
    final int level;
    long block;
    long generation;
    /** Where the node's second copy is ({@code dup} metadata), 0 when it has none. */
    long mirror;
    final List<Key> keys;
    final List<byte[]> values;
    final List<long[]> children; // {block, generation, mirror}
    private int bytes;

    /** A new empty node, for {@link NodeStore#create} implementations. */
    public static Node empty(TreeId owner, int level, long block, long generation, long mirror) {
        return new Node(owner, level, block, generation, mirror);
    }

    Node(TreeId owner, int level, long block, long generation, long mirror) {
        this.owner = owner;
        this.level = level;
        this.block = block;
        this.generation = generation;
        this.mirror = mirror;
        this.keys = new ArrayList<>();
        this.values = level == 0 ? new ArrayList<>() : null;
        this.children = level == 0 ? null : new ArrayList<>();
        this.bytes = HEADER;
    }

    public TreeId owner() {
        return owner;
    }

    public int level() {
        return level;
    }

    public long block() {
        return block;
    }

    public long generation() {
        return generation;
    }

    /** The block of this node's second copy, 0 when it has none. */
    public long mirror() {
        return mirror;
    }

    public boolean isLeaf() {
        return level == 0;
    }

    public int size() {
        return keys.size();
    }

    /** Bytes this node takes serialized. */
    public int bytes() {
        return bytes;
    }

    public Key key(int i) {
        return keys.get(i);
    }

    public byte[] value(int i) {
        return values.get(i);
    }

    public long childBlock(int i) {
        return children.get(i)[0];
    }

    public long childGeneration(int i) {
        return children.get(i)[1];
    }

    public long childMirror(int i) {
        return children.get(i)[2];
    }

    void addLeaf(int i, Key key, byte[] value) {
        keys.add(i, key);
        values.add(i, value);
        bytes += LEAF_ITEM + value.length;
    }

    void setValue(int i, byte[] value) {
        bytes += value.length - values.get(i).length;
        values.set(i, value);
    }

    void removeLeaf(int i) {
        bytes -= LEAF_ITEM + values.get(i).length;
        keys.remove(i);
        values.remove(i);
    }

    void addChild(int i, Key key, long block, long generation, long mirror) {
        keys.add(i, key);
        children.add(i, new long[] {block, generation, mirror});
        bytes += INTERNAL_ITEM;
    }

    void setKey(int i, Key key) {
        keys.set(i, key);
    }

    void setChild(int i, long block, long generation, long mirror) {
        children.set(i, new long[] {block, generation, mirror});
    }

    void removeChild(int i) {
        keys.remove(i);
        children.remove(i);
        bytes -= INTERNAL_ITEM;
    }

    /** Appends every item of {@code other}, which follows this node in key order. */
    void appendAll(Node other) {
        appendAll(other, other.size() == 0 ? null : other.keys.get(0));
    }

    /**
     * Appends every item of {@code other} with {@code firstKey} as its first key: for an
     * inner node, the separator its parent had for {@code other}, which is what the key
     * becomes once it follows other items.
     */
    void appendAll(Node other, Key firstKey) {
        for (int i = 0; i < other.size(); i++) {
            Key k = i == 0 && !isLeaf() ? firstKey : other.keys.get(i);
            if (isLeaf()) {
                addLeaf(size(), k, other.values.get(i));
            } else {
                addChild(size(), k, other.childBlock(i), other.childGeneration(i), other.childMirror(i));
            }
        }
    }

    /** Moves the items from {@code from} on into {@code right}, an empty node of the same level. */
    void moveTail(int from, Node right) {
        for (int i = from; i < size(); i++) {
            if (isLeaf()) {
                right.addLeaf(right.size(), keys.get(i), values.get(i));
            } else {
                right.addChild(right.size(), keys.get(i), childBlock(i), childGeneration(i), childMirror(i));
            }
        }
        while (size() > from) {
            if (isLeaf()) {
                removeLeaf(size() - 1);
            } else {
                removeChild(size() - 1);
            }
        }
    }

    @Override
    public String toString() {
        return owner + " node " + block + " (level " + level + ", generation " + generation + ", " + size() + " items)";
    }
}
