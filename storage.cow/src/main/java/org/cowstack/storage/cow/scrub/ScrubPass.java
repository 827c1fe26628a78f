package org.cowstack.storage.cow.scrub;

import java.io.IOException;

import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;

/**
 * The engine's scrub pass over a volume's blocks (see {@link ScrubTarget}).
 * Work in progress: the reading and verifying lands with the dup profile.
 */
public final class ScrubPass implements ScrubTarget {
    private final VolumeCore core;
    private final BlockIo io;

    public ScrubPass(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
    }

    @Override
    public long totalBytes() throws IOException {
        return core.refCounts == null ? 0 : 0;
    }

    @Override
    public long scrub(long cursor, long maxBytes, boolean repair, ScrubTally tally) throws IOException {
        return -1;
    }
}
