package org.cowstack.storage.cow;

import java.util.Map;

/**
 * What the volume manager offers the configuration component inside this bundle:
 * volume configurations arriving, changing and going. Registered as a service only so
 * that Declarative Services orders the two (the interface is not exported).
 */
interface ConfiguredVolumes {
    /** A volume configuration was created or changed; {@code pid} identifies it. */
    void configured(String pid, Map<String, ?> properties);

    /** The configuration is gone (deleted, or its component stops): its volume is unmounted, the rest kept. */
    void unconfigured(String pid);
}
