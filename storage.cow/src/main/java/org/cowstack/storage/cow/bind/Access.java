package org.cowstack.storage.cow.bind;

import java.util.Set;

/** What an operation does, which decides the services it waits for at the gate (see {@link VolumeBindings}). */
public enum Access {
    /** Reads: the device and the checksum algorithm. */
    READ,
    /** Changes, which may allocate metadata: the allocation policy too. */
    CHANGE,
    /** Direct writes: the DIO strategy too. */
    DIRECT;

    /** The services this access needs on a volume; a read-only volume allocates nothing. */
    public Set<VolumeBindings.Service> needs(boolean readOnly) {
        return this == READ || readOnly ? VolumeBindings.READ
                : this == CHANGE ? VolumeBindings.CHANGE : VolumeBindings.DIRECT;
    }
}
