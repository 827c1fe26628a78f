package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A run of physical blocks that all have the same reference count. Counts are per
 * block: sharing one block of a run splits the run, nothing else. On disk a run with a
 * count of at least one is an item {@code (start, REFCOUNT, 0)} holding its length and
 * count; blocks in no item are free, and a lookup reports them as a run of count 0.
 *
 * @param start  first physical block
 * @param blocks run length, at least 1
 * @param count  references to each block of the run; 0 for free blocks (never stored)
 */
public record RefRun(long start, long blocks, int count) {
    private static final int BYTES = 12;

    public RefRun {
        Corruption.check(start >= 0 && blocks > 0 && blocks <= Long.MAX_VALUE - start && count >= 0,
                () -> "reference run " + start + "+" + blocks + ", count " + count);
    }

    /** The block after the run. */
    public long end() {
        return start + blocks;
    }

    /** Whether every block of the run is referenced more than once. */
    public boolean shared() {
        return count > 1;
    }

    /** The item key of a stored run. */
    public Key key() {
        return key(start);
    }

    /** The item key of a run starting at {@code start}. */
    public static Key key(long start) {
        return new Key(start, ItemType.REFCOUNT, 0);
    }

    /** The item value: length and count. Free runs are not stored. */
    public byte[] encode() {
        if (count == 0) {
            throw new IllegalStateException("a free run is not stored: " + this);
        }
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(blocks).putInt(count).array();
    }

    /** The run an item of the refcount tree stores. */
    public static RefRun decode(Key key, byte[] value) {
        Corruption.check(key.type() == ItemType.REFCOUNT, () -> "item " + key + " in the refcount tree");
        Corruption.check(value.length == BYTES, () -> "reference run item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        long blocks = b.getLong();
        int count = b.getInt();
        Corruption.check(count > 0, () -> "stored reference run " + key + " with count " + count);
        return new RefRun(key.objectId(), blocks, count);
    }
}
