package org.cowstack.storage.api.bitmap;

import java.io.IOException;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The dirty bitmaps of one file, with qemu's states and rules. Every refusal is a
 * {@link BitmapException} with qemu's sentence, and changes nothing.
 *
 * <table>
 * <caption>What each state refuses</caption>
 * <tr><th>operation</th><th>busy</th><th>read-only</th><th>inconsistent</th></tr>
 * <tr><td>add</td><td>-</td><td>-</td><td>-</td></tr>
 * <tr><td>remove</td><td>refused</td><td>refused</td><td>allowed</td></tr>
 * <tr><td>clear</td><td>refused</td><td>refused</td><td>refused</td></tr>
 * <tr><td>enable, disable</td><td>refused</td><td>allowed</td><td>refused</td></tr>
 * <tr><td>merge (target)</td><td>refused</td><td>refused</td><td>refused</td></tr>
 * <tr><td>merge (source), backup</td><td>refused</td><td>allowed</td><td>refused</td></tr>
 * </table>
 *
 * <p>No state ever refuses a write to the file.
 */
@ProviderType
public interface DirtyBitmaps {
    /**
     * Adds a bitmap. A persistent one on a read-only volume is refused as qemu refuses it
     * on a read-only image; a transient one is allowed.
     *
     * @throws BitmapException {@code Bitmap name cannot be empty}, {@code Name length exceeds maximum (1023 characters)} (qemu counts bytes),
     *         {@code Granularity must be power of 2 and at least 512}, {@code Bitmap already exists: N}
     */
    BitmapInfo add(String name, BitmapOptions options) throws IOException;

    /** Removes a bitmap (the one operation an inconsistent bitmap allows). */
    void remove(String name) throws IOException;

    /** Clears every bit. */
    void clear(String name) throws IOException;

    /** Starts recording writes. */
    void enable(String name) throws IOException;

    /** Stops recording writes. */
    void disable(String name) throws IOException;

    /** Sets in {@code target} every bit {@code source} has; refused, target unchanged, when their granularities differ. */
    void merge(String source, String target) throws IOException;

    /** Every bitmap of the file, by name. */
    List<BitmapInfo> list() throws IOException;

    /**
     * Marks a bitmap busy for as long as an export shows it (qemu's rule for a bitmap
     * given to an NBD export): it keeps recording, {@link #dump} still reads it, and
     * every operation the table refuses when busy is refused until the returned hold is
     * closed. Closing twice is harmless; an unmount ends every hold.
     *
     * @throws BitmapException when the bitmap is missing, busy already or inconsistent
     */
    java.io.Closeable hold(String name) throws IOException;

    /** The dirty ranges of a bitmap in bytes, adjacent granules merged, in order. */
    List<DirtyRange> dump(String name) throws IOException;

    /**
     * Starts a backup of the file: a point-in-time view of it taken now (metadata only),
     * and the ranges to copy from it.
     *
     * @param bitmap the bitmap to back up from and to synchronise, or null for a full
     *               backup without one
     * @param sync   {@link BackupSync#BITMAP} needs a bitmap
     * @param mode   what happens to the bitmap at the end
     * @throws BitmapException when the bitmap is missing, busy or inconsistent
     */
    Backup backup(String bitmap, BackupSync sync, BitmapSync mode) throws IOException;
}
