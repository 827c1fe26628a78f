package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An inode: what a file or directory is, apart from its name and data.
 *
 * @param type       {@link #FILE} or {@link #DIRECTORY}
 * @param size       bytes (files), 0 for directories
 * @param parent     the directory holding its one name (no hard links)
 * @param flags      {@link #NOCOW}, {@link #NODATASUM}
 * @param mtime      last data change, ns since the epoch
 * @param ctime      last inode change, ns since the epoch
 * @param crtime     creation, ns since the epoch
 * @param generation the transaction that created it
 * @param allocated  blocks its extents reference (shared ones counted here too)
 */
public record InodeItem(int type, long size, long parent, int flags, long mtime, long ctime, long crtime,
        long generation, long allocated) {
    public static final int FILE = 1;
    public static final int DIRECTORY = 2;
    public static final int NOCOW = 1;
    public static final int NODATASUM = 2;
    private static final int BYTES = 64;

    public boolean isDirectory() {
        return type == DIRECTORY;
    }

    public InodeItem withSize(long newSize, long now) {
        return new InodeItem(type, newSize, parent, flags, now, now, crtime, generation, allocated);
    }

    public InodeItem withAllocated(long blocks) {
        return new InodeItem(type, size, parent, flags, mtime, ctime, crtime, generation, blocks);
    }

    public InodeItem withFlags(int newFlags, long now) {
        return new InodeItem(type, size, parent, newFlags, mtime, now, crtime, generation, allocated);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public InodeItem withParent(long newParent, long now) {
        return new InodeItem(type, size, newParent, flags, mtime, now, crtime, generation, allocated);
    }

    public InodeItem touched(long now) {
        return new InodeItem(type, size, parent, flags, now, now, crtime, generation, allocated);
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(flags).putLong(size).putLong(parent).putLong(mtime).putLong(ctime).putLong(crtime)
                .putLong(generation).putLong(allocated);
        return b.array();
    }

    public static InodeItem decode(byte[] value) {
        Corruption.check(value.length == BYTES, () -> "inode item of " + value.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getInt();
        int flags = b.getInt();
        Corruption.check(type == FILE || type == DIRECTORY, () -> "inode type " + type);
        long size = b.getLong();
        Corruption.check(size >= 0, () -> "inode size " + size);
        return new InodeItem(type, size, b.getLong(), flags, b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                b.getLong());
    }
}
