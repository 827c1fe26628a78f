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
 */
public record FileStat(long inode, boolean directory, long size, long allocated, Set<FileFlag> flags,
        Instant modified, Instant changed, Instant created) {
    public FileStat {
        flags = Set.copyOf(flags);
    }
}
