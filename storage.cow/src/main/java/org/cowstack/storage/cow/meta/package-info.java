/**
 * The records of a volume's trees: the set of trees and their roots
 * ({@link org.cowstack.storage.cow.meta.Trees}), the node cache
 * ({@link org.cowstack.storage.cow.meta.MetadataStore}), inodes and directory entries,
 * file extents (with one clip helper for an extent against a range), data checksums,
 * per-block reference counts and the ledger of their changes, the free-space tree, and the
 * health records of the status tree ({@link org.cowstack.storage.cow.meta.StatusStore}: the
 * last scrub, the device error counters, the damaged file ranges).
 * Every change of a file's blocks and of a block's last reference is told to the
 * {@link org.cowstack.storage.cow.meta.ChangeHook} here, where it is made.
 */
package org.cowstack.storage.cow.meta;
