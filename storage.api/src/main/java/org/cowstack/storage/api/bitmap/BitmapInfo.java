package org.cowstack.storage.api.bitmap;

import java.util.Set;

/**
 * A bitmap as {@code storage:bitmap list} shows it.
 *
 * @param name        1 to 1023 bytes of UTF-8
 * @param granularity bytes per bit
 * @param dirtyBytes  bytes of the file its set bits cover (granules times granularity)
 * @param mode        how it survives a crash (meaningful when persistent)
 * @param states      recording, busy, persistent, inconsistent, read-only
 */
public record BitmapInfo(String name, long granularity, long dirtyBytes, BitmapMode mode, Set<BitmapInfo.State> states) {
    /** qemu's bitmap states. */
    public enum State {
        /** Enabled: writes to the file set its bits. */
        RECORDING,
        /** In use by a backup: refuses every change and every other use. */
        BUSY,
        /** Stored on the volume. */
        PERSISTENT,
        /** Its bits cannot be trusted (a crash while loaded writable in qemu mode): only remove works. */
        INCONSISTENT,
        /** The volume is read-only: refuses changes, may still be read and backed up from. */
        READONLY;

        /** As the shell prints it. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public BitmapInfo {
        states = Set.copyOf(states);
    }
}
