package org.cowstack.storage.dax.faults;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@code dax:} device's medium can be poisoned: reads that touch a poisoned range fail
 * with a media error until a write covers it (clearing what it covers, as a write to a
 * poisoned persistent-memory line does), and the device's
 * {@link org.cowstack.storage.api.device.MediaErrors} listener is told at once, as the
 * kernel tells a file system through {@code notify_failure} instead of killing processes.
 */
@ProviderType
public interface Poisoning {
    /** Poisons bytes {@code [offset, offset + length)} of the device. */
    void poison(long offset, long length);
}
