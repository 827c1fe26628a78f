package org.cowstack.storage.cow.bind;

import java.util.Set;

/** What an operation does, which decides the services it waits for at the gate (see {@link VolumeBindings}). */
public enum Access {
    /** Reads: the device and the checksum algorithm. */
    READ,
    /** Changes, which may allocate metadata: the allocation policy too. */
    CHANGE,
    /**
     * A buffered write that lands in the cache: the device and the policy, not the
     * algorithm (see {@link VolumeBindings#CACHED}); writeback, commit, reads that miss and
     * read-modify-write of a partial page not cached need it, and are admitted as CHANGE.
     */
    CACHED,
    /** Direct writes: the DIO strategy too. */
    DIRECT;

    /** The services this access needs on a volume; a read-only volume allocates nothing. */
    public Set<VolumeBindings.Service> needs(boolean readOnly) {
        return switch (readOnly ? READ : this) {
            case READ -> VolumeBindings.READ;
            case CHANGE -> VolumeBindings.CHANGE;
            case CACHED -> VolumeBindings.CACHED;
            case DIRECT -> VolumeBindings.DIRECT;
        };
    }
}
