package org.cowstack.storage.api;

/**
 * The device could not read or write a range (EIO from the medium: a bad sector, a
 * poisoned persistent-memory line, an injected fault).
 *
 * <p>For a write, the content of the range is undefined afterwards; for a read,
 * nothing was returned. The device stays usable for other ranges.
 */
public class MediaErrorException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String device;
    private final long offset;
    private final long length;

    public MediaErrorException(String device, long offset, long length, String detail) {
        this(device, offset, length, detail, null);
    }

    public MediaErrorException(String device, long offset, long length, String detail, Throwable cause) {
        super(String.format("media error on %s at offset %d, length %d: %s", device, offset, length, detail), cause);
        this.device = device;
        this.offset = offset;
        this.length = length;
    }

    public String device() {
        return device;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }
}
