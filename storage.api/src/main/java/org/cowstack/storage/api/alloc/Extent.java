package org.cowstack.storage.api.alloc;

/**
 * A run of physical blocks.
 *
 * @param start  first block
 * @param length number of blocks, positive
 */
public record Extent(long start, long length) {
    public Extent {
        if (start < 0 || length <= 0) {
            throw new IllegalArgumentException("extent [" + start + ", +" + length + "): expected start >= 0, length > 0");
        }
    }

    /** The block after the last one. */
    public long end() {
        return start + length;
    }
}
