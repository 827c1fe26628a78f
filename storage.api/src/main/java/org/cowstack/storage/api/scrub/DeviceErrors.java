package org.cowstack.storage.api.scrub;

/**
 * A volume's device error counters (btrfs's device stats), kept across restarts until reset.
 *
 * @param read       reads the device failed (media errors)
 * @param write      writes the device failed
 * @param flush      flushes the device failed
 * @param checksum   blocks read whose checksum did not match
 * @param generation nodes found with a generation other than their parent expects (lost or misdirected writes)
 */
public record DeviceErrors(long read, long write, long flush, long checksum, long generation) {
    public static final DeviceErrors NONE = new DeviceErrors(0, 0, 0, 0, 0);

    public long total() {
        return read + write + flush + checksum + generation;
    }
}
