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
    FREE_SPACE(10, "free-space tree");

    private final int id;
    private final String label;

    TreeId(int id, String label) {
        this.id = id;
        this.label = label;
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
