package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The names in one directory whose hash is the key's offset: almost always one, more
 * when names collide.
 */
public final class DirEntries {
    /** Longest name, in UTF-8 bytes, as on Linux. */
    public static final int MAX_NAME = 255;

    /** One name. */
    public record Entry(String name, long inode, boolean directory) {
    }

    private DirEntries() {
    }

    /** The key offset of a name: CRC-32C of its UTF-8 bytes (stable across versions). */
    public static long hash(String name) {
        CRC32C crc = new CRC32C();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    public static byte[] encode(List<Entry> entries) {
        int size = 2;
        List<byte[]> names = new ArrayList<>();
        for (Entry e : entries) {
            byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
            names.add(n);
            size += 8 + 1 + 2 + n.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            b.putLong(e.inode()).put((byte) (e.directory() ? 1 : 0)).putShort((short) names.get(i).length)
                    .put(names.get(i));
        }
        return b.array();
    }

    public static List<Entry> decode(byte[] value) {
        Corruption.check(value.length >= 2, () -> "directory item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        int count = b.getShort() & 0xffff;
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Corruption.check(b.remaining() >= 11, "directory item truncated");
            long inode = b.getLong();
            boolean dir = b.get() != 0;
            int length = b.getShort() & 0xffff;
            Corruption.check(length > 0 && length <= MAX_NAME && b.remaining() >= length, () -> "directory name of "
                    + length + " bytes");
            byte[] name = new byte[length];
            b.get(name);
            entries.add(new Entry(new String(name, StandardCharsets.UTF_8), inode, dir));
        }
        Corruption.check(!b.hasRemaining(), "directory item with trailing bytes");
        return entries;
    }
}
