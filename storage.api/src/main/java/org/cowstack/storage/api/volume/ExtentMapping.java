package org.cowstack.storage.api.volume;

import java.util.Set;

/**
 * One line of a file's extent map, in bytes.
 *
 * @param logical  offset in the file
 * @param length   length
 * @param physical byte address on the device, or -1 for a hole
 * @param flags    what the range is
 */
public record ExtentMapping(long logical, long length, long physical, Set<Flag> flags) {
    public ExtentMapping {
        flags = Set.copyOf(flags);
    }

    /** What a mapped range is. */
    public enum Flag {
        /** Not allocated; reads as zeros. */
        HOLE,
        /** Allocated but never written (preallocated); reads as zeros. */
        UNWRITTEN,
        /** Some other file or offset references the same blocks. */
        SHARED,
        /** The data is not checksummed. */
        NODATASUM
    }
}
