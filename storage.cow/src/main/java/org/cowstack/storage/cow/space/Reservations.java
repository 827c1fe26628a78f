package org.cowstack.storage.cow.space;

import java.io.IOException;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.space.SpaceMap;

/**
 * Blocks promised to accepted writes, so that no commit can run out of space: a write
 * that may copy on write reserves its blocks when it is accepted, and a full volume
 * refuses it then, never at the flush.
 *
 * <p>Before refusing, a reservation that does not fit asks the volume to commit when
 * the running transaction may give space back (blocks it freed are reusable only once
 * it is durable; reservations of pages that went in place are settled), as btrfs
 * commits the transaction to reclaim pinned space: a full volume refuses a write only
 * when the space is really not there.
 */
public final class Reservations {
    /** What may give space back, implemented by the volume. */
    public interface Reclaimer {
        /** Whether a commit now could make blocks reusable or settle reservations. */
        boolean mayReclaim();

        /** Commits the running transaction. */
        void reclaim() throws IOException;
    }

    private final String volume;
    private final int blockSize;
    private final SpaceMap space;
    private final Reclaimer reclaimer;

    public Reservations(String volume, int blockSize, SpaceMap space, Reclaimer reclaimer) {
        this.volume = volume;
        this.blockSize = blockSize;
        this.space = space;
        this.reclaimer = reclaimer;
    }

    /**
     * Promises {@code blocks} to a write, committing once to make blocks freed by the
     * running transaction reusable before answering that there is no space.
     *
     * @throws NoSpaceException when they are not there even then
     */
    public void reserve(long blocks) throws IOException {
        if (blocks == 0 || space.reserve(blocks)) {
            return;
        }
        if (reclaimer.mayReclaim()) {
            reclaimer.reclaim();
            if (space.reserve(blocks)) {
                return;
            }
        }
        throw new NoSpaceException("volume " + volume, blocks * blockSize, space.availableBlocks() * blockSize);
    }

    /**
     * A commit between counting and writing can turn dirty pages back into pages that
     * need a block: settle the difference (a few blocks at most, taken from the
     * metadata reserve if they must be).
     */
    public void settle(long reserved, long dirtied) {
        if (dirtied < reserved) {
            space.unreserve(reserved - dirtied);
        } else if (dirtied > reserved) {
            space.reserveAnyway(dirtied - reserved);
        }
    }
}
