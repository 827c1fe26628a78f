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

    /** True when offset, length and buffer address are aligned for a direct transfer. */
    boolean aligned();

    /** True when the file's data is checksummed (it is not {@code nodatasum}). */
    boolean checksummed();

    /** True when the file is NOCOW: unshared blocks are overwritten in place. */
    boolean nocow();

    /** True when some block of the range is shared with another file or offset (reflink, dedupe). */
    boolean shared();
}
