package org.cowstack.storage.api.dio;

/** How the engine executes a direct write. */
public enum DioMode {
    /** Copy into the page cache and take the buffered path (btrfs's answer): one copy, always safe. */
    BUFFERED,
    /** Copy into a private buffer, checksum the copy and write it directly: one copy, no caching. */
    BOUNCE,
    /** Write the caller's buffer as is and record the range as unchecksummed: zero copies. */
    NODATASUM,
    /**
     * Checksum the caller's buffer, write it, checksum it again and rewrite each block
     * whose checksum changed from a private copy: zero copies while the buffer is stable.
     */
    VERIFY,
    /** Checksum and write the caller's buffer: zero copies, and false checksum errors if it changes. */
    DIRECT
}
