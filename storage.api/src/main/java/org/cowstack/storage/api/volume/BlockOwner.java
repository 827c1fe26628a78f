package org.cowstack.storage.api.volume;

/**
 * Who references a physical block ({@link Volume#owners}): a file at an offset, a
 * metadata tree, or the reserved area of superblocks.
 *
 * @param kind   what kind of owner
 * @param path   the file's path; for metadata the tree's name; for the reserved area "superblocks"
 * @param inode  the file's inode number, or -1
 * @param offset byte offset of the block in the file, or -1
 */
public record BlockOwner(Kind kind, String path, long inode, long offset) {

    /** What references a block. */
    public enum Kind {
        /** File data: the block holds the file's bytes at {@code offset}. */
        FILE,
        /** A node of a metadata tree. */
        METADATA,
        /** The reserved area at the start of the device (superblocks). */
        RESERVED
    }
}
