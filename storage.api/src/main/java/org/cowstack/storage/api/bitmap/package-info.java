/**
 * Dirty bitmaps of files and incremental backup, with qemu's states and rules: a
 * bitmap records which granules of a file changed since it was created or last
 * cleared; a backup from it copies only those. Reached through
 * {@link org.cowstack.storage.api.volume.FileHandle#bitmaps()}.
 *
 * <p>States ({@link org.cowstack.storage.api.bitmap.BitmapInfo.State}): recording
 * (enabled), busy (in use by a backup), persistent, inconsistent, read-only. What each
 * refuses is qemu's table; no state ever refuses, blocks or aborts a write to the file:
 * a disabled or inconsistent bitmap ignores writes.
 */
@Version("1.1.0")
@Export
package org.cowstack.storage.api.bitmap;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
