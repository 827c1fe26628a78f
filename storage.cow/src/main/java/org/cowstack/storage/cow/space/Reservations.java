package org.cowstack.storage.cow.space;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

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
 *
 * <p>The commit itself needs metadata blocks, which no write promised: every block
 * changed in the running transaction splits an extent and changes its back references,
 * reference counts and checksums, in nodes copied on write while the blocks they
 * replace come back only after the commit. Writebacks under memory pressure place pages
 * into the same transaction, so one that runs long (random overwrites never synced)
 * needs more than any fixed reserve: a reclaim commit found no block left even for
 * metadata and failed the volume. So a promise also keeps free, beside the fixed
 * metadata reserve (the paths to the roots that any commit copies, and the changes of
 * one write), a node for every block the transaction changed; when that headroom is
 * not there the volume commits first, while the commit still fits, as btrfs commits
 * when its metadata reservations run out. Measured, a random 4 KiB overwrite costs its
 * writeback and commit 0.2 to 0.4 node.
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
    /** Device blocks of metadata to keep free for each block changed: a node, in every copy. */
    private final long metadataPerBlock;
    /** Blocks promised in the running transaction: what its commit will change. */
    private final AtomicLong changed = new AtomicLong();

    public Reservations(String volume, int blockSize, SpaceMap space, long metadataPerBlock, Reclaimer reclaimer) {
        this.volume = volume;
        this.blockSize = blockSize;
        this.space = space;
        this.metadataPerBlock = metadataPerBlock;
        this.reclaimer = reclaimer;
    }

    /** A commit took the running transaction: the next one starts with nothing changed. */
    public void committed() {
        changed.set(0);
    }

    /**
     * Promises blocks if a node for each block the transaction changed before stays free
     * for its commit. The write's own blocks are left to the fixed reserve, so that after
     * a commit a full volume accepts exactly what it did without this headroom.
     */
    private boolean promise(long blocks) {
        if (!space.reserve(blocks, changed.get() * metadataPerBlock)) {
            return false;
        }
        changed.addAndGet(blocks);
        return true;
    }

    /**
     * Promises {@code blocks} to a write, committing once to make blocks freed by the
     * running transaction reusable (and to start one whose commit needs little metadata)
     * before answering that there is no space.
     *
     * @throws NoSpaceException when they are not there even then
     */
    public void reserve(long blocks) throws IOException {
        if (blocks == 0 || promise(blocks)) {
            return;
        }
        if (reclaimer.mayReclaim()) {
            reclaimer.reclaim();
            if (promise(blocks)) {
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
