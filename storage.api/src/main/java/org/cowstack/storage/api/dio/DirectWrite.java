package org.cowstack.storage.api.dio;

import org.osgi.annotation.versioning.ProviderType;

/** The facts about one direct write that a {@link DioStrategy} decides on. */
@ProviderType
public interface DirectWrite {
    /** Volume name. */
    String volume();

    /** File path within the volume. */
    String path();

    /** Byte offset in the file. */
    long offset();

    /** Byte length. */
    long length();

    /**
     * True when offset and length are multiples of the file-system block size, so that
     * whole blocks can be written without reading any first. An unaligned write can
     * only be executed as {@link DioMode#BUFFERED}: only whole blocks can bypass the
     * cache. A strategy answers {@code BUFFERED} for it, and the engine executes it as
     * {@code BUFFERED} whatever the answer. (The buffer's address is the device's
     * concern: a device that needs aligned memory copies through its own.)
     */
    boolean aligned();

    /** True when the file's data is checksummed (it is not {@code nodatasum}). */
    boolean checksummed();

    /** True when the file is NOCOW: unshared blocks are overwritten in place. */
    boolean nocow();

    /**
     * True when some block of the range is shared with another file or offset (reflink,
     * dedupe). Not free: the engine looks the range's reference counts up when asked, so
     * a strategy asks at most once per decision, and only when its answer depends on it.
     */
    boolean shared();
}
