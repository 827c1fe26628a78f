/**
 * The mounted volume as its users see it: {@link org.cowstack.storage.cow.fs.CowVolume},
 * the facade implementing the {@code Volume} API over the rooms, its open files, mkfs and
 * mount.
 */
package org.cowstack.storage.cow.fs;
