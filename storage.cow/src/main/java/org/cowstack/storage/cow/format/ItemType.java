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
    /** bitmap tree: (inode, BITMAP, bitmap id) -> {@link BitmapItem}: a dirty bitmap of the file. */
    public static final int BITMAP = 8;
    /** bitmap tree: (bitmap id, BITMAP_BITS, chunk) -> 512 bytes: bits of 4096 granules, little-endian words. */
    public static final int BITMAP_BITS = 9;
    /** fs tree: ({@link #ORPHANS}, ORPHAN, inode) -> empty: a file with no name, removed at the next mount. */
    public static final int ORPHAN = 10;
    /** status tree: (0, SCRUB, 0) -> the last scrub: state, cursor, limit, times, counts (see {@code StatusStore}). */
    public static final int SCRUB = 12;
    /** status tree: (0, SCRUB_DAMAGE, index) -> a damaged range the last scrub found, with its owners. */
    public static final int SCRUB_DAMAGE = 13;
    /** status tree: (0, DEVICE_ERRORS, 0) -> the device error counters and repairs, u64 each. */
    public static final int DEVICE_ERRORS = 14;
    /** status tree: (inode, DAMAGED, first file block) -> a file range marked damaged: blocks, physical, cause. */
    public static final int DAMAGED = 15;
    /**
     * back-reference tree: (level &lt;&lt; 56 | first physical block, BACKREF, inode | chunk &lt;&lt; 48)
     * -&gt; a list of (first file block u64, blocks u64) entries, little-endian, sorted: the
     * inode maps physical blocks {@code [physical, physical + blocks)} at each of those file
     * blocks (one entry per offset, so one file may map a range at several offsets: a
     * clone within the file). The level is the least j such that the record lies inside
     * one aligned window of {@code 64 * 8^j} blocks, so the records covering block b
     * start in {@code [b - b % window(j), b]} at each level j (see {@code BackRefs}). A
     * list too long for one item continues in chunks 1, 2, ... of the same key.
     */
    public static final int BACKREF = 11;
    /** The object id of orphan items: below every inode number. */
    public static final long ORPHANS = 1;

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
            case BITMAP: return "BITMAP";
            case BITMAP_BITS: return "BITMAP_BITS";
            case ORPHAN: return "ORPHAN";
            case SCRUB: return "SCRUB";
            case SCRUB_DAMAGE: return "SCRUB_DAMAGE";
            case DEVICE_ERRORS: return "DEVICE_ERRORS";
            case DAMAGED: return "DAMAGED";
            case BACKREF: return "BACKREF";
            default: return "TYPE" + type;
        }
    }
}
