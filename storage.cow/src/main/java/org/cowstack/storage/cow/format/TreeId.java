package org.cowstack.storage.cow.format;

/** The trees of a volume: their ids are the owner written in every node header. */
public enum TreeId {
    /** Inodes, directory entries, file extents. */
    FS(5, "fs tree"),
    /** Per-block reference counts, as runs of blocks with one count. */
    REFCOUNT(2, "refcount tree"),
    /** Data checksums by physical block. */
    CSUM(7, "csum tree"),
    /** Free extents. */
    FREE_SPACE(10, "free-space tree"),
    /** Back references: the owners of physical blocks (file, file block), by physical block. */
    BACKREF(13, "back-reference tree"),
    /**
     * Dirty bitmaps of files: created with the first persistent bitmap (and the
     * read-only compatible feature {@code Superblock.COMPAT_RO_BITMAPS}), absent before.
     */
    BITMAP(12, "bitmap tree", false),
    /**
     * The volume's health records: the last scrub (its position, so a restart resumes it),
     * the device error counters and the file ranges marked damaged. Created with the first
     * record. It needs no read-only compatible feature: an engine that does not know it
     * keeps its root-table row unchanged (see {@link Superblock}) and only misses the
     * records; nothing it does to files depends on them.
     */
    STATUS(14, "status tree", false);

    private final int id;
    private final String label;
    private final boolean required;

    TreeId(int id, String label) {
        this(id, label, true);
    }

    TreeId(int id, String label, boolean required) {
        this.id = id;
        this.label = label;
        this.required = required;
    }

    /** Whether every volume has this tree (its root-table row is required), or only those that use it. */
    public boolean required() {
        return required;
    }

    public int id() {
        return id;
    }

    @Override
    public String toString() {
        return label;
    }

    public static TreeId of(int id) {
        for (TreeId t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
