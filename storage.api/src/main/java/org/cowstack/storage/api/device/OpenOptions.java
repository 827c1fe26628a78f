package org.cowstack.storage.api.device;

import org.cowstack.storage.api.InvalidArgumentException;

/**
 * Generic options for {@link DeviceProvider#open}: read-only or read-write, and
 * whether to create the backing store. Immutable.
 */
public final class OpenOptions {
    private static final OpenOptions READ_WRITE = new OpenOptions(false, false, 0);
    private static final OpenOptions READ_ONLY = new OpenOptions(true, false, 0);

    private final boolean readOnly;
    private final boolean create;
    private final long size;

    private OpenOptions(boolean readOnly, boolean create, long size) {
        this.readOnly = readOnly;
        this.create = create;
        this.size = size;
    }

    /** Open an existing device for reading and writing. */
    public static OpenOptions readWrite() {
        return READ_WRITE;
    }

    /** Open an existing device for reading only. */
    public static OpenOptions readOnly() {
        return READ_ONLY;
    }

    /**
     * Open for reading and writing, creating the backing store with {@code size} bytes
     * when it does not exist. An existing backing store smaller than {@code size} is
     * grown where the backend can (a sparse file); one that is larger is used as it is.
     *
     * @param size bytes, positive; backends round it down to their block size
     * @throws InvalidArgumentException when size is not positive
     */
    public static OpenOptions create(long size) throws InvalidArgumentException {
        if (size <= 0) {
            throw new InvalidArgumentException("size", size, "a positive byte count");
        }
        return new OpenOptions(false, true, size);
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    /** True when the backing store is created if missing. */
    public boolean isCreate() {
        return create;
    }

    /** The size to create with; 0 unless {@link #isCreate()}. */
    public long size() {
        return size;
    }

    @Override
    public String toString() {
        return create ? "create(" + size + ")" : readOnly ? "read-only" : "read-write";
    }
}
