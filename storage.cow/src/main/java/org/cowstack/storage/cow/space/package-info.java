/**
 * Allocation and promises of space on a mounted volume: the
 * {@link org.cowstack.storage.cow.space.Allocator} asks the bound allocation policy for
 * extents of the free-space map ({@code org.cowstack.storage.space.SpaceMap}), and
 * {@link org.cowstack.storage.cow.space.Reservations} promise blocks to accepted writes,
 * committing to reclaim freed space before refusing.
 */
package org.cowstack.storage.cow.space;
