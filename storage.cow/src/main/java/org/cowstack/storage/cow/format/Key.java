package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;

/**
 * The key of every B-tree item, as in btrfs: an object id, an item type and an offset,
 * ordered in that order. What the three mean depends on the tree and the type (see
 * {@link ItemType}). 17 bytes on disk, little-endian.
 */
public record Key(long objectId, int type, long offset) implements Comparable<Key> {
    public static final int BYTES = 17;

    public Key {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("key type " + type + " (expected 0..255)");
        }
    }

    /** The smallest key with this object id and type. */
    public static Key first(long objectId, int type) {
        return new Key(objectId, type, Long.MIN_VALUE);
    }

    /** The largest key with this object id and type. */
    public static Key last(long objectId, int type) {
        return new Key(objectId, type, Long.MAX_VALUE);
    }

    @Override
    public int compareTo(Key o) {
        int c = Long.compare(objectId, o.objectId);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(type, o.type);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }

    /** True when this key has the given object id and type. */
    public boolean is(long objectId, int type) {
        return this.objectId == objectId && this.type == type;
    }

    public void write(ByteBuffer b, int at) {
        b.putLong(at, objectId);
        b.put(at + 8, (byte) type);
        b.putLong(at + 9, offset);
    }

    public static Key read(ByteBuffer b, int at) {
        return new Key(b.getLong(at), b.get(at + 8) & 0xff, b.getLong(at + 9));
    }

    @Override
    public String toString() {
        return "(" + objectId + " " + ItemType.name(type) + " " + offset + ")";
    }
}
