package org.cowstack.storage.cow;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One volume, as a Config Admin factory configuration
 * ({@value org.cowstack.storage.api.volume.VolumeManager#VOLUME_FACTORY_PID}): the
 * metatype description. The engine reads the raw properties itself (see
 * {@link VolumeSettings}) so that a malformed value is reported, not silently defaulted.
 */
@ObjectClassDefinition(name = "Storage volume", description = "A volume the storage engine mounts: "
        + "an fstab line. storage:mount, storage:umount, storage:alloc set and storage:dio set edit these.")
@interface VolumeConfiguration {
    @AttributeDefinition(description = "Volume name: 1 to 64 letters, digits, '.', '_' or '-'")
    String name();

    @AttributeDefinition(description = "Device URI, such as file:/var/lib/storage/vol0.img")
    String device();

    @AttributeDefinition(description = "Mount read-only")
    boolean readOnly() default false;

    @AttributeDefinition(required = false, description = "Checksum algorithm the image must use; "
            + "empty: whatever it uses")
    String checksum() default "";

    @AttributeDefinition(description = "Allocation policy, by name (storage:alloc lists them)")
    String allocationPolicy() default "first-fit";

    @AttributeDefinition(description = "DIO fallback strategy, by name (storage:dio lists them)")
    String dioStrategy() default "buffered";

    @AttributeDefinition(description = "Commit interval in milliseconds: dirty data is committed at least "
            + "this often without an fsync", min = "1")
    long commitIntervalMillis() default 30_000;

    @AttributeDefinition(description = "Suspend timeout in milliseconds: how long an operation waits for a "
            + "missing service (checksum, policy, strategy, device backend) before it fails", min = "0")
    long suspendTimeoutMillis() default 10_000;
}
