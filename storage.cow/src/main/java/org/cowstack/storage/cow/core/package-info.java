/**
 * What the rooms of a mounted volume share: {@link org.cowstack.storage.cow.core.VolumeCore}
 * (identity, services, trees, free space, cache, change hook, mode and failure) and the
 * locks in their order: file locks, the commit lock, the tree lock.
 */
package org.cowstack.storage.cow.core;
