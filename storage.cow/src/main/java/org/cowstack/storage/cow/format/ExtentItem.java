package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A run of file blocks mapped to a run of physical blocks, keyed by its first file
 * block. Sharing is counted per physical block in the refcount tree, so an extent can
 * be split anywhere without touching other files' extents.
 *
 * @param physical first physical block
 * @param blocks   number of blocks
 * @param flags    {@link #UNWRITTEN} (preallocated: reads as zeros), {@link #NODATASUM}
 */
public record ExtentItem(long physical, long blocks, int flags) {
    public static final int UNWRITTEN = 1;
    public static final int NODATASUM = 2;
    private static final int BYTES = 17;

    public ExtentItem {
        Corruption.check(physical > 0 && blocks > 0, () -> "extent " + physical + "+" + blocks);
    }

    public boolean checksummed() {
        return (flags & NODATASUM) == 0;
    }

    public boolean unwritten() {
        return (flags & UNWRITTEN) != 0;
    }

    /** The part from {@code skip} blocks in, {@code count} long. */
    public ExtentItem slice(long skip, long count) {
        return new ExtentItem(physical + skip, count, flags);
    }

    public byte[] encode() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(physical).putLong(blocks)
                .put((byte) flags).array();
    }

    public static ExtentItem decode(byte[] value) {
        Corruption.check(value.length == BYTES, () -> "extent item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        return new ExtentItem(b.getLong(), b.getLong(), b.get() & 0xff);
    }
}
