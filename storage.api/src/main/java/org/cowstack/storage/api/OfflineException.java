package org.cowstack.storage.api;

/**
 * The device or volume is closed or offline, for example because the bundle that
 * provides it stopped. Nothing was changed; the request may succeed after the
 * resource is opened or mounted again.
 */
public class OfflineException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String resource;

    public OfflineException(String resource) {
        super(resource + " is offline");
        this.resource = resource;
    }

    public String resource() {
        return resource;
    }
}
