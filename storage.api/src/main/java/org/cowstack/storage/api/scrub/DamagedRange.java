package org.cowstack.storage.api.scrub;

import java.util.List;

import org.cowstack.storage.api.volume.BlockOwner;

/**
 * A range of physical blocks a scrub, a read or the device found bad, with who it hurts.
 *
 * @param physical first physical block (of the copy that is bad)
 * @param blocks   number of blocks
 * @param copy     which copy was bad: 1 (the first) or 2 (the {@code dup} copy)
 * @param cause    what was wrong: {@code "checksum"}, {@code "media"} or {@code "metadata"}
 * @param repaired whether it was rewritten from a good copy
 * @param owners   who references the blocks: each file (path, offset of the range's first
 *                 block), or the metadata tree
 */
public record DamagedRange(long physical, long blocks, int copy, String cause, boolean repaired,
        List<BlockOwner> owners) {
    public DamagedRange {
        owners = List.copyOf(owners);
    }
}
