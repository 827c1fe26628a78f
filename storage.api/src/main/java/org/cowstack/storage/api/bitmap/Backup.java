package org.cowstack.storage.api.bitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A backup in progress: the file as it was when the backup started (writes since go to
 * the file and into the bitmap, never into this view), the ranges to copy, and the end
 * that synchronises the bitmap as its {@link BitmapSync} mode says. While it runs the
 * bitmap is busy.
 */
@ProviderType
public interface Backup extends AutoCloseable {
    /** The file's size when the backup started. */
    long size();

    /** What to copy, in order: every data range (full), or the bitmap's dirty ranges, clipped to {@link #size()}. */
    List<DirtyRange> ranges();

    /** Reads the point-in-time view: as {@code FileHandle.read}. */
    int read(ByteBuffer dst, long offset) throws IOException;

    /** Tells that a range was copied (for {@link BitmapSync#ALWAYS}, which clears what was copied even on failure). */
    void copied(long offset, long length);

    /** Ends the backup: the bitmap is synchronised as its mode says for a backup that {@code succeeded} or not. */
    void finish(boolean succeeded) throws IOException;

    /** Ends it as failed if {@link #finish} was not called; releases the view. */
    @Override
    void close() throws IOException;
}
