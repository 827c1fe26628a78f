package org.cowstack.storage.api.scrub;

import java.util.List;

/**
 * What is known to be wrong with a volume.
 *
 * @param damaged    file ranges marked damaged (a media or checksum error with no good
 *                   copy): reads of exactly those ranges fail until a write covers them
 * @param errors     the device error counters
 * @param lastScrub  the last scrub's status ({@link ScrubState#NEVER} when none ran)
 * @param repairs    bad copies repaired by reads and scrubs since the counters were reset
 * @param readOnlyReason why the volume went read-only by itself (metadata with no good copy), or null
 */
public record VolumeHealth(List<DamagedRange> damaged, DeviceErrors errors, ScrubStatus lastScrub, long repairs,
        String readOnlyReason) {
    public VolumeHealth {
        damaged = List.copyOf(damaged);
    }
}
