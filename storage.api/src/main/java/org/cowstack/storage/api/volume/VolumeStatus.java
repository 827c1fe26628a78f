package org.cowstack.storage.api.volume;

import java.net.URI;
import java.util.Objects;

/**
 * What the engine knows of one configured volume at one instant: mounted or not, and
 * why not. A volume that is configured but cannot be mounted yet (its device backend
 * or checksum algorithm is not installed) or at all (a corrupt image, a malformed
 * configuration) has a status but no {@link Volume} service.
 *
 * @param name    the volume name
 * @param device  the device URI, or null when the configuration has none that parses
 * @param state   {@link VolumeState#MOUNTED}, {@code READ_ONLY}, {@code SUSPENDED} and
 *                {@code OFFLINE} (waiting for a service), or {@code FAILED}
 * @param detail  what a suspended or offline volume waits for, such as
 *                {@code "checksum crc32c"}, or why it failed; empty otherwise
 * @param mounted whether a {@link Volume} of this name is mounted (a suspended or
 *                offline volume may be mounted and waiting, or waiting to be mounted)
 */
public record VolumeStatus(String name, URI device, VolumeState state, String detail, boolean mounted) {
    public VolumeStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        detail = detail == null ? "" : detail;
    }

    /**
     * The state as an administrator reads it: {@code MOUNTED},
     * {@code SUSPENDED (waiting for checksum crc32c)}, {@code FAILED: reason}.
     */
    public String describe() {
        if (detail.isEmpty()) {
            return state.name();
        }
        return state == VolumeState.FAILED ? state.name() + ": " + detail
                : state.name() + " (waiting for " + detail + ")";
    }
}
