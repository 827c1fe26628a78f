package org.cowstack.storage.api;

/**
 * A modification was asked of a volume, file or device that is read-only (EROFS).
 * Nothing was changed.
 */
public class ReadOnlyException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String resource;

    public ReadOnlyException(String resource) {
        super(resource + " is read-only");
        this.resource = resource;
    }

    public String resource() {
        return resource;
    }
}
