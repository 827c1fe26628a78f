/**
 * The on-disk format: the superblock with its root table, profiles and feature bits,
 * B-tree keys, and the items the trees hold (inodes, directory entries, extents,
 * reference-count runs), each with its encoding and the checks that turn bad bytes into
 * a {@link org.cowstack.storage.cow.format.Corruption}. Nothing here does I/O or holds
 * state; every other package depends on this one.
 */
package org.cowstack.storage.cow.format;
