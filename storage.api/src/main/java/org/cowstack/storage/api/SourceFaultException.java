package org.cowstack.storage.api;

/**
 * The caller's source failed part-way through a write (EFAULT): a memory-mapped source
 * buffer whose file was truncated, or a source that threw.
 *
 * <p>The file is left as if the first {@link #written()} bytes, possibly none, had been
 * written at the requested position: never a hole, never a size beyond the data. The
 * source buffer's position is advanced by that many bytes.
 */
public class SourceFaultException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final long offset;
    private final long written;

    public SourceFaultException(String path, long offset, long written, Throwable cause) {
        super("write to " + path + " at offset " + offset + ": the source failed after " + written + " bytes ("
                + (cause == null ? "no detail" : cause.getMessage()) + "); the first " + written
                + " bytes were written, nothing after them", cause);
        this.path = path;
        this.offset = offset;
        this.written = written;
    }

    public String path() {
        return path;
    }

    /** Where the write started in the file. */
    public long offset() {
        return offset;
    }

    /** Bytes of the source that were written before the failure (the prefix). */
    public long written() {
        return written;
    }
}
