package org.cowstack.storage.api;

/**
 * A view of a file mapping was used after the bytes it showed stopped being the file's
 * bytes at that place: the file was truncated, punched, written, cloned or deduped over
 * there, a store through a mapping copied the block, the volume was unmounted, or the
 * medium reported the block bad ({@link #getCause()} is then the
 * {@link MediaErrorException}). Nothing read through the view since it was taken may be
 * trusted; ask the mapping for a new view of the same offset.
 */
public class InvalidViewException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final long offset;

    public InvalidViewException(String path, long offset, String why, Throwable cause) {
        super("the mapped view of " + path + " at offset " + offset + " is no longer valid: " + why, cause);
        this.path = path;
        this.offset = offset;
    }

    /** The file. */
    public String path() {
        return path;
    }

    /** The file offset of the view's first byte. */
    public long offset() {
        return offset;
    }
}
