package org.cowstack.storage.api.device;

/** What an open {@link BlockDevice} can do. */
public enum DeviceCapability {
    /** Contents survive closing the device and restarting the process (a file, a mapping). */
    PERSISTENT,
    /** Transfers bypass the host page cache (O_DIRECT). */
    DIRECT_IO,
    /** Every write is durable when it returns (O_DSYNC / forced unit access). */
    FUA,
    /** The device is memory mapped and byte addressable (DAX). */
    DIRECT_ACCESS,
    /** The mapping is synchronous (MAP_SYNC): a CPU cache flush is all persistence needs. */
    MAP_SYNC,
    /** {@link BlockDevice#discard} releases space and the range then reads as zeros. */
    DISCARD
}
