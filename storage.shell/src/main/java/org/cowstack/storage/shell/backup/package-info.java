/**
 * Backups of a volume's file and their restore: where a backup goes (a raw image on the
 * host, or a file in a mounted volume), the manifest that says what a backup image
 * holds, the copy from a point-in-time view, and the restore of a full backup followed
 * by incrementals. Internal to {@code storage.shell}: the engine gives the view and the
 * bitmap rules ({@link org.cowstack.storage.api.bitmap.Backup}), this package moves
 * the bytes.
 */
package org.cowstack.storage.shell.backup;
