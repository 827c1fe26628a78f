package org.cowstack.storage.api;

/**
 * The on-disk image is not a valid image of this format, or a structure in it fails
 * its checks: bad magic, unknown incompatible feature, no valid superblock, a tree
 * node whose checksum or owner is wrong. The image is left as it was.
 */
public class CorruptImageException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String device;

    public CorruptImageException(String device, String detail) {
        super(device + ": " + detail);
        this.device = device;
    }

    public CorruptImageException(String device, String detail, Throwable cause) {
        super(device + ": " + detail, cause);
        this.device = device;
    }

    public String device() {
        return device;
    }
}
