package org.cowstack.storage.cow;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The engine's own settings, as the Config Admin configuration
 * ({@value org.cowstack.storage.api.volume.VolumeManager#ENGINE_PID}) of the volume
 * manager: the metatype description. The engine reads the raw properties itself (see
 * {@link EngineSettings}) so that a malformed value is reported, not silently defaulted.
 */
@ObjectClassDefinition(name = "Storage engine", description = "Settings of the storage engine that apply to "
        + "every volume. storage:cache shows what they give.")
@interface EngineConfiguration {
    @AttributeDefinition(description = "Read cache size of each mounted volume, in bytes or as 512m, 2g: the "
            + "verified file data read from the device that it keeps in memory (what writes stage, at most 64 MiB, "
            + "comes on top). 0 or absent: a quarter of the JVM's maximum heap, from 16 MiB to 16 GiB. A change "
            + "applies to mounted volumes at once.")
    String cacheSize() default "0";
}
