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
 * @param mirror   first physical block of the second copy ({@code dup} data), as long as
 *                 the first; 0 when the data has one copy
 */
public record ExtentItem(long physical, long blocks, int flags, long mirror) {
    public static final int UNWRITTEN = 1;
    public static final int NODATASUM = 2;
    private static final int BYTES = 25;

    public ExtentItem {
        // The ends must not overflow: every range check after this one compares them.
        Corruption.check(physical > 0 && blocks > 0 && mirror >= 0 && blocks <= Long.MAX_VALUE - physical
                && blocks <= Long.MAX_VALUE - mirror, () -> "extent " + physical + "+" + blocks + " (second copy "
                + mirror + ")");
    }

    /** An extent with one copy. */
    public ExtentItem(long physical, long blocks, int flags) {
        this(physical, blocks, flags, 0);
    }

    /** Whether the data has a second copy. */
    public boolean hasMirror() {
        return mirror != 0;
    }

    /** The same blocks with other flags. */
    public ExtentItem withFlags(int newFlags) {
        return new ExtentItem(physical, blocks, newFlags, mirror);
    }

    /** Whether {@code next} continues this extent on disk (both copies) with the same flags. */
    public boolean continuedBy(ExtentItem next) {
        return physical + blocks == next.physical && flags == next.flags
                && (mirror == 0 ? next.mirror == 0 : next.mirror == mirror + blocks);
    }

    public boolean checksummed() {
        return (flags & NODATASUM) == 0;
    }

    public boolean unwritten() {
        return (flags & UNWRITTEN) != 0;
    }

    /** The part from {@code skip} blocks in, {@code count} long. */
    public ExtentItem slice(long skip, long count) {
        return new ExtentItem(physical + skip, count, flags, mirror == 0 ? 0 : mirror + skip);
    }

    public byte[] encode() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(physical).putLong(blocks)
                .put((byte) flags).putLong(mirror).array();
    }

    public static ExtentItem decode(byte[] value) {
        Corruption.check(value.length == BYTES, () -> "extent item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        return new ExtentItem(b.getLong(), b.getLong(), b.get() & 0xff, b.getLong());
    }
}
