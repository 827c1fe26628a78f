package org.cowstack.storage.api.volume;

/** How a {@link FileMapping} may be used. */
public enum MapMode {
    /** Read views only: stores fail with {@link org.cowstack.storage.api.ReadOnlyException}. */
    READ,
    /** Read views and stores; needs a handle opened for writing on a writable volume. */
    READ_WRITE
}
