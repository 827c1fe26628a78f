package org.cowstack.storage.api.volume;

/**
 * One entry of a directory.
 *
 * @param name      the entry's name (no slash)
 * @param inode     its inode number
 * @param directory true for a directory
 */
public record DirEntry(String name, long inode, boolean directory) {
}
