package org.cowstack.storage.api.volume;

/** What {@link FileHandle#fallocate} does to the range. */
public enum FallocateMode {
    /** Allocate unwritten extents (reading as zeros) and extend the size to cover the range. */
    ALLOCATE,
    /** Allocate unwritten extents without changing the size ({@code falloc -k}). */
    ALLOCATE_KEEP_SIZE,
    /** Free the range's blocks; it reads as zeros; the size is unchanged. */
    PUNCH_HOLE,
    /** Make the range read as zeros, keeping it allocated; extends the size. */
    ZERO_RANGE,
    /** Make the range read as zeros, keeping it allocated; the size is unchanged. */
    ZERO_RANGE_KEEP_SIZE,
    /** Give the range private copies of every shared block. */
    UNSHARE
}
