package org.cowstack.storage.shell.backup;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A backup image opened for writing (by a backup) or reading (by a restore): a raw
 * image whose bytes sit at the offsets of the file they came from, holes where nothing
 * was copied. What it holds is said by its {@link Manifest}, stored beside it.
 */
interface Image extends Closeable {
    /** Reads at {@code offset}; -1 at the end. */
    int read(ByteBuffer dst, long offset) throws IOException;

    /** Writes all of {@code src} at {@code offset}. */
    void write(ByteBuffer src, long offset) throws IOException;

    /** Sets the image's length (a larger one reads as zeros). */
    void setSize(long size) throws IOException;

    /** Makes what was written durable. */
    void force() throws IOException;
}
