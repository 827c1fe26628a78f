package org.cowstack.storage.api.volume;

import java.time.Instant;
import java.util.Set;

/**
 * Attributes of a file or directory.
 *
 * @param inode     inode number, stable for the file's life
 * @param directory true for a directory
 * @param size      size in bytes
 * @param allocated bytes of blocks referenced by the file (shared blocks count for every owner)
 * @param flags     attribute flags
 * @param modified  last data modification
 * @param changed   last attribute change
 * @param created   creation
 * @param unchecksummed bytes of written data stored without checksums: all of it in a
 *                  {@code nodatasum} file, otherwise what direct writes under the
 *                  {@code nodatasum} strategy left (fiemap shows where)
 */
public record FileStat(long inode, boolean directory, long size, long allocated, Set<FileFlag> flags,
        Instant modified, Instant changed, Instant created, long unchecksummed) {
    public FileStat {
        flags = Set.copyOf(flags);
    }

    /** Without the unchecksummed count (0): the 1.1 form. */
    public FileStat(long inode, boolean directory, long size, long allocated, Set<FileFlag> flags,
            Instant modified, Instant changed, Instant created) {
        this(inode, directory, size, allocated, flags, modified, changed, created, 0);
    }
}
