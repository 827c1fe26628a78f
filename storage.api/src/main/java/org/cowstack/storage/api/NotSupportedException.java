package org.cowstack.storage.api;

/**
 * The operation is valid but this implementation, device or volume cannot do it
 * (EOPNOTSUPP), for example O_DIRECT on a file system without it. Nothing was
 * changed; a caller may fall back to another way.
 */
public class NotSupportedException extends StorageException {
    private static final long serialVersionUID = 1L;

    public NotSupportedException(String message) {
        super(message);
    }

    public NotSupportedException(String message, Throwable cause) {
        super(message, cause);
    }
}
