package org.cowstack.storage.cow.fs;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;

/**
 * The services a volume uses, looked up at each use so that a replaced bundle's service
 * is picked up by the next operation. The OSGi component answers from its dynamic
 * references; tests answer from plain objects.
 */
public interface VolumeServices {
    /** The installed algorithm with this on-disk id, or null. */
    ChecksumAlgorithm checksum(int id);

    /** The installed algorithm with this name, or null. */
    ChecksumAlgorithm checksum(String name);

    /** The installed allocation policy with this name, or null. */
    AllocationPolicy allocationPolicy(String name);
}
