package org.cowstack.storage.api;

/**
 * The volume is suspended because a service it needs is gone, and no replacement
 * came within the suspend timeout. Nothing was changed; the same request succeeds
 * once the named service is back.
 */
public class SuspendedException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String volume;
    private final String missing;

    /**
     * @param volume  the suspended volume
     * @param missing what it waits for, for example {@code "checksum crc32c"}
     */
    public SuspendedException(String volume, String missing) {
        super(String.format("volume %s is suspended, waiting for %s", volume, missing));
        this.volume = volume;
        this.missing = missing;
    }

    public String volume() {
        return volume;
    }

    public String missing() {
        return missing;
    }
}
