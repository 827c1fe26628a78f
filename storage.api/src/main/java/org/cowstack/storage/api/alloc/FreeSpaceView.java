package org.cowstack.storage.api.alloc;

import java.util.Iterator;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A volume's free space as an allocation policy sees it, in blocks. Implemented by the
 * engine; valid only during the {@link AllocationPolicy#allocate} call it is passed to.
 */
@ProviderType
public interface FreeSpaceView {
    /** Volume name, for messages. */
    String volume();

    /** Bytes per block. */
    int blockSize();

    /** Blocks on the volume. */
    long totalBlocks();

    /** Blocks free now. */
    long freeBlocks();

    /** The largest free extent's length in blocks, 0 when full. */
    long largestFree();

    /**
     * Free extents in ascending block order, starting with the one that contains or
     * follows {@code fromBlock}. Each is maximal: two free extents never touch.
     */
    Iterator<Extent> freeExtents(long fromBlock);

    /** Where the previous allocation on this volume ended: the next-fit cursor. */
    long cursor();
}
