package org.cowstack.storage.api;

/**
 * The request needs more space than the volume or device can give (ENOSPC).
 *
 * <p>Thrown when the request is accepted or refused, never later: a write that was
 * accepted has its space reserved and cannot fail with this exception when it is
 * flushed. Nothing of the refused request has been applied.
 */
public class NoSpaceException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String resource;
    private final long requested;
    private final long available;

    /**
     * @param resource  the volume or device that is full
     * @param requested bytes the request needed
     * @param available bytes that were available when it was refused
     */
    public NoSpaceException(String resource, long requested, long available) {
        super(String.format("no space left on %s: %d bytes requested, %d bytes available",
                resource, requested, available));
        this.resource = resource;
        this.requested = requested;
        this.available = available;
    }

    /**
     * For a request refused before the free space could be known (an allocation of
     * memory or of a backing file that failed).
     *
     * @param resource  the volume or device
     * @param requested bytes the request needed
     * @param detail    why it failed, as a sentence fragment
     */
    public NoSpaceException(String resource, long requested, String detail) {
        super(String.format("no space left on %s: %d bytes requested, %s", resource, requested, detail));
        this.resource = resource;
        this.requested = requested;
        this.available = -1;
    }

    public String resource() {
        return resource;
    }

    public long requested() {
        return requested;
    }

    /** Bytes available when refused, or -1 when unknown. */
    public long available() {
        return available;
    }
}
