package org.cowstack.storage.api;

/**
 * The resource is in use and cannot be shared (EBUSY): an image opened read-write by
 * another process or another mount, a volume name taken. Nothing was changed; the
 * request succeeds once the other user lets go.
 */
public class BusyException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String resource;

    public BusyException(String resource, String detail) {
        super(resource + " is busy: " + detail);
        this.resource = resource;
    }

    public String resource() {
        return resource;
    }
}
