/**
 * Dirty bitmaps of files (DESIGN P5): {@link org.cowstack.storage.cow.bitmap.Bitmaps}
 * records changes from the change hook, stores bitmaps in the bitmap tree (committed
 * with the data in transactional mode, at clean shutdown in qemu mode), applies qemu's
 * state rules, and runs backups from a point-in-time clone of the file
 * ({@link org.cowstack.storage.cow.bitmap.BackupSession}).
 */
package org.cowstack.storage.cow.bitmap;
