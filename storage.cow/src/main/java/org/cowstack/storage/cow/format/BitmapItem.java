package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A dirty bitmap of a file, keyed {@code (inode, BITMAP, id)} in the bitmap tree; its
 * bits are items {@code (id, BITMAP_BITS, chunk)}.
 *
 * @param id               unique on the volume, never reused while the volume lives
 * @param name             1 to {@value #MAX_NAME} bytes of UTF-8
 * @param granularityShift log2 of the bytes per bit, 9..31
 * @param flags            {@link #RECORDING}, {@link #INCONSISTENT}, {@link #QEMU}
 */
public record BitmapItem(long id, String name, int granularityShift, int flags) {
    /** Longest name in UTF-8 bytes, as qemu's. */
    public static final int MAX_NAME = 1023;
    /** Writes set its bits. */
    public static final int RECORDING = 1;
    /** Its bits cannot be trusted: only removing it is allowed. */
    public static final int INCONSISTENT = 2;
    /** qemu mode (in-use flag, bits stored at clean unmount); transactional otherwise. */
    public static final int QEMU = 4;

    public BitmapItem {
        Corruption.check(id > 0 && granularityShift >= 9 && granularityShift <= 31,
                () -> "bitmap " + id + " with granularity 2^" + granularityShift);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public BitmapItem withFlags(int newFlags) {
        return new BitmapItem(id, name, granularityShift, newFlags);
    }

    public static Key key(long inode, long id) {
        return new Key(inode, ItemType.BITMAP, id);
    }

    public static Key bitsKey(long id, long chunk) {
        return new Key(id, ItemType.BITMAP_BITS, chunk);
    }

    public byte[] encode() {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + n.length).order(ByteOrder.LITTLE_ENDIAN).putLong(id)
                .put((byte) granularityShift).put((byte) flags).putShort((short) n.length).put(n).array();
    }

    public static BitmapItem decode(byte[] value) {
        Corruption.check(value.length >= 12, () -> "bitmap item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        long id = b.getLong();
        int shift = b.get() & 0xff;
        int flags = b.get() & 0xff;
        int length = b.getShort() & 0xffff;
        Corruption.check(length > 0 && length <= MAX_NAME && b.remaining() == length,
                () -> "bitmap item name of " + length + " bytes");
        byte[] n = new byte[length];
        b.get(n);
        return new BitmapItem(id, new String(n, StandardCharsets.UTF_8), shift, flags);
    }
}
