package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A run of physical blocks that all have the same reference count, keyed by its first
 * block. Counts are per block: sharing one block of a run splits the run, nothing else.
 * Blocks in no run are free.
 *
 * @param blocks run length
 * @param count  references to each block of the run, at least 1
 */
public record RefRun(long blocks, int count) {
    private static final int BYTES = 12;

    public RefRun {
        Corruption.check(blocks > 0 && count > 0, "reference run of " + blocks + " blocks, count " + count);
    }

    public byte[] encode() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(blocks).putInt(count).array();
    }

    public static RefRun decode(byte[] value) {
        Corruption.check(value.length == BYTES, "reference run item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        return new RefRun(b.getLong(), b.getInt());
    }
}
