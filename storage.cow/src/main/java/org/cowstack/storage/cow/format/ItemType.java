package org.cowstack.storage.cow.format;

/**
 * Item types, with what their key's object id and offset mean and what their value
 * holds. Numbers are on-disk format: never reuse one.
 */
public final class ItemType {
    /** fs tree: (inode, INODE, 0) -> {@link InodeItem}. */
    public static final int INODE = 1;
    /** fs tree: (directory inode, DIR_ENTRY, name hash) -> {@link DirEntries}, the names with that hash. */
    public static final int DIR_ENTRY = 2;
    /** fs tree: (inode, EXTENT, first file block) -> {@link ExtentItem}. */
    public static final int EXTENT = 3;
    /** csum tree: (first physical block, CSUM, 0) -> digests of consecutive blocks. */
    public static final int CSUM = 5;
    /** refcount tree: (first physical block, REFCOUNT, 0) -> {@link RefRun}: a run of blocks with one count. */
    public static final int REFCOUNT = 6;
    /** free-space tree: (first physical block, FREE, 0) -> length in blocks (u64). */
    public static final int FREE = 7;

    private ItemType() {
    }

    public static String name(int type) {
        switch (type) {
            case INODE: return "INODE";
            case DIR_ENTRY: return "DIR_ENTRY";
            case EXTENT: return "EXTENT";
            case CSUM: return "CSUM";
            case REFCOUNT: return "REFCOUNT";
            case FREE: return "FREE";
            default: return "TYPE" + type;
        }
    }
}
