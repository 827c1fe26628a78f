package org.cowstack.storage.api;

import java.io.IOException;

/**
 * Base of every failure raised by a storage service.
 *
 * <p>Callers catch a subclass to act on a specific failure; this base type is thrown
 * directly only for failures no caller can act on (an internal invariant broken),
 * and its message then says so.
 */
public class StorageException extends IOException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
