package org.cowstack.storage.cow.btree;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;

/**
 * A node on disk.
 *
 * <pre>
 * offset size
 *    0   32  digest of bytes [32, node size) (zero-padded)
 *   32   16  file-system uuid   (a node of another file system is not ours)
 *   48    8  block number       (a misdirected write lands at another number)
 *   56    8  generation
 *   64    4  owner tree id
 *   68    1  level (0 = leaf)
 *   69    3  (zero)
 *   72    2  item count
 *   74    6  (zero)
 *   80       items: leaf  = key(17) value-offset(4) value-length(4), values packed from the end
 *                   inner = key(17) child-block(8) child-generation(8) child-mirror(8)
 *
 * A node's second copy ({@code dup} metadata) holds the same bytes, block number
 * included: the number of the first copy, which names the node.
 * </pre>
 */
public final class NodeCodec {
    private static final int CSUM = 0;
    private static final int UUID_AT = 32;
    private static final int BLOCK_AT = 48;
    private static final int GENERATION_AT = 56;
    private static final int OWNER_AT = 64;
    private static final int LEVEL_AT = 68;
    private static final int COUNT_AT = 72;

    private final int nodeSize;
    private final UUID uuid;
    private final ChecksumAlgorithm checksum;

    /** The blocks a child pointer may name: a node starts in {@code [firstBlock, lastBlock]}. */
    private final long firstBlock;
    private final long lastBlock;
    /** Whether child pointers may name a second copy ({@code dup} metadata). */
    private final boolean mirrors;

    /** A codec that takes any child block (tests, and {@code Check}, which reports bad pointers itself). */
    public NodeCodec(int nodeSize, UUID uuid, ChecksumAlgorithm checksum) {
        this(nodeSize, uuid, checksum, Long.MIN_VALUE, Long.MAX_VALUE, true);
    }

    /**
     * A codec for a volume whose nodes start at blocks {@code [firstBlock, lastBlock]}: a
     * child pointer (or its second copy) elsewhere, or a second copy where metadata has
     * one ({@code mirrors} false), is corruption, found when its parent is decoded, before
     * anything reads or frees it.
     */
    public NodeCodec(int nodeSize, UUID uuid, ChecksumAlgorithm checksum, long firstBlock, long lastBlock,
            boolean mirrors) {
        this.nodeSize = nodeSize;
        this.uuid = uuid;
        this.checksum = checksum;
        this.firstBlock = firstBlock;
        this.lastBlock = lastBlock;
        this.mirrors = mirrors;
    }

    public int nodeSize() {
        return nodeSize;
    }

    public ByteBuffer encode(Node n, ByteBuffer into) {
        ByteBuffer b = into.clear().order(ByteOrder.LITTLE_ENDIAN);
        if (b.capacity() != nodeSize) {
            throw new IllegalArgumentException("node buffer of " + b.capacity() + " bytes, expected " + nodeSize);
        }
        for (int i = 0; i < Node.HEADER; i++) {
            b.put(i, (byte) 0);
        }
        b.putLong(UUID_AT, uuid.getMostSignificantBits());
        b.putLong(UUID_AT + 8, uuid.getLeastSignificantBits());
        b.putLong(BLOCK_AT, n.block);
        b.putLong(GENERATION_AT, n.generation);
        b.putInt(OWNER_AT, n.owner.id());
        b.put(LEVEL_AT, (byte) n.level);
        b.putShort(COUNT_AT, (short) n.size());
        int at = Node.HEADER;
        int end = nodeSize;
        for (int i = 0; i < n.size(); i++) {
            n.keys.get(i).write(b, at);
            if (n.isLeaf()) {
                byte[] v = n.values.get(i);
                end -= v.length;
                b.put(end, v);
                b.putInt(at + Key.BYTES, end);
                b.putInt(at + Key.BYTES + 4, v.length);
                at += Node.LEAF_ITEM;
            } else {
                b.putLong(at + Key.BYTES, n.childBlock(i));
                b.putLong(at + Key.BYTES + 8, n.childGeneration(i));
                b.putLong(at + Key.BYTES + 16, n.childMirror(i));
                at += Node.INTERNAL_ITEM;
            }
        }
        for (int i = at; i < end; i++) {
            b.put(i, (byte) 0); // no stale bytes from an earlier node in a reused buffer
        }
        byte[] digest = new byte[ChecksumAlgorithm.MAX_DIGEST_LENGTH];
        checksum.digest(b.duplicate().position(UUID_AT).limit(nodeSize), digest, 0);
        b.put(CSUM, digest);
        return b.clear();
    }

    /** Thrown when the stored digest does not match: the caller names volume and tree. */
    public static final class ChecksumFailure extends Exception {
        private static final long serialVersionUID = 1L;
        public final byte[] expected;
        public final byte[] actual;

        ChecksumFailure(byte[] expected, byte[] actual) {
            super("node checksum mismatch");
            this.expected = expected;
            this.actual = actual;
        }
    }

    /**
     * Decodes and verifies a node read from {@code block}.
     *
     * @throws ChecksumFailure when the digest does not match
     * @throws Corruption when the digest matches but the node is not the one expected
     *         (another file system, another block, owner, level or a later generation) or
     *         its items are malformed
     */
    public Node decode(ByteBuffer raw, long block, long mirror, long generation, TreeId owner, int level)
            throws ChecksumFailure {
        ByteBuffer b = raw.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
        int length = checksum.digestLength();
        byte[] actual = new byte[length];
        checksum.digest(b.duplicate().position(UUID_AT).limit(nodeSize), actual, 0);
        byte[] expected = new byte[length];
        b.get(CSUM, expected);
        if (!java.util.Arrays.equals(expected, actual)) {
            throw new ChecksumFailure(expected, actual);
        }
        for (int i = length; i < UUID_AT; i++) {
            if (b.get(i) != 0) { // the digest does not cover its own padding: a flip there is found here
                byte[] padded = new byte[UUID_AT];
                b.get(CSUM, padded);
                throw new ChecksumFailure(padded, java.util.Arrays.copyOf(actual, UUID_AT));
            }
        }
        String where = owner + " node at block " + block;
        Corruption.check(b.getLong(UUID_AT) == uuid.getMostSignificantBits()
                && b.getLong(UUID_AT + 8) == uuid.getLeastSignificantBits(), () -> where + " belongs to another file system");
        Corruption.check(b.getLong(BLOCK_AT) == block, () -> where + " says it is block " + b.getLong(BLOCK_AT)
                + " (a misdirected write)");
        Corruption.check(b.getLong(GENERATION_AT) == generation, () -> where + " has generation " + b.getLong(GENERATION_AT)
                + ", its parent expects " + generation);
        Corruption.check(b.getInt(OWNER_AT) == owner.id(), () -> where + " is owned by tree " + b.getInt(OWNER_AT));
        Corruption.check((b.get(LEVEL_AT) & 0xff) == level, () -> where + " has level " + (b.get(LEVEL_AT) & 0xff)
                + ", expected " + level);
        int count = b.getShort(COUNT_AT) & 0xffff;
        int itemBytes = level == 0 ? Node.LEAF_ITEM : Node.INTERNAL_ITEM;
        Corruption.check(Node.HEADER + (long) count * itemBytes <= nodeSize, () -> where + " claims " + count + " items");
        // An inner node without children is never written (a change that empties one removes it), and a descent
        // would have no child to take.
        Corruption.check(level == 0 || count > 0, () -> where + " is an inner node without children");
        Node n = new Node(owner, level, block, generation, mirror);
        int at = Node.HEADER;
        int itemsEnd = Node.HEADER + count * itemBytes;
        for (int i = 0; i < count; i++, at += itemBytes) {
            Key k = Key.read(b, at);
            int item = i;
            Corruption.check(i == 0 || n.keys.get(i - 1).compareTo(k) < 0, () -> where + ": keys out of order at item "
                    + item);
            if (level == 0) {
                int off = b.getInt(at + Key.BYTES);
                int len = b.getInt(at + Key.BYTES + 4);
                Corruption.check(off >= itemsEnd && len >= 0 && off <= nodeSize - len, () -> where + ": item " + item
                        + " value at " + off + "+" + len);
                byte[] v = new byte[len];
                b.get(off, v);
                n.addLeaf(i, k, v);
            } else {
                long child = b.getLong(at + Key.BYTES);
                long childGeneration = b.getLong(at + Key.BYTES + 8);
                long childMirror = b.getLong(at + Key.BYTES + 16);
                Corruption.check(child >= firstBlock && child <= lastBlock
                        && (childMirror == 0 || childMirror >= firstBlock && childMirror <= lastBlock),
                        () -> where + ": child " + item + " at block " + child + " (second copy " + childMirror
                                + ") is outside the volume");
                Corruption.check(childMirror == 0 || mirrors, () -> where + ": child " + item + " at block " + child
                        + " names a second copy " + childMirror + ", but metadata has one");
                // A child changes only with its parent, so it is never newer than the parent.
                Corruption.check(childGeneration > 0 && childGeneration <= generation, () -> where + ": child " + item
                        + " has generation " + childGeneration + ", the node itself " + generation);
                n.addChild(i, k, child, childGeneration, childMirror);
            }
        }
        Corruption.check(n.bytes() <= nodeSize, () -> where + " holds more than a node");
        return n;
    }
}
