package org.cowstack.storage.cow.space;

import java.io.IOException;
import java.util.Iterator;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.cow.bind.VolumeBindings;
import org.cowstack.storage.cow.format.Profile;
import org.cowstack.storage.cow.meta.RefLedger;
import org.cowstack.storage.space.SpaceMap;

/**
 * Allocation through the volume's bound allocation policy: data runs (from blocks
 * promised by a {@link Reservations reservation}), preallocated extents, and metadata
 * nodes (which may use the metadata reserve and are counted in the ledger at once).
 */
public final class Allocator {
    private final String volume;
    private final int blockSize;
    private final SpaceMap space;
    private final VolumeBindings bindings;
    private final RefLedger ledger;
    /**
     * Where file data goes when nothing asks for a place: past the first sixteenth of the
     * device, which metadata nodes fill from the start. Metadata written between two
     * writebacks of a growing file then does not land right after the file's last extent
     * and cut the next one off from it; a policy that cannot place a run after the hint
     * still finds room before it.
     */
    private final long dataStart;
    /** Runs at least this long (1 MiB) are streams: see {@link #streamHint}. */
    private final long streamRun;
    /** Where the last metadata node went: the next one goes after it. Tree lock held. */
    private long metadataHint = -1;
    /** Where the last node's second copy went. Tree lock held. */
    private long mirrorHint = -1;
    private final boolean dupMetadata;
    private final boolean dupData;

    public Allocator(String volume, int blockSize, SpaceMap space, VolumeBindings bindings, RefLedger ledger,
            Profile data, Profile metadata) {
        this.volume = volume;
        this.blockSize = blockSize;
        this.space = space;
        this.bindings = bindings;
        this.ledger = ledger;
        this.dupData = data == Profile.DUP;
        this.dupMetadata = metadata == Profile.DUP;
        this.dataStart = space.totalBlocks() / 16;
        this.streamRun = Math.max(1, (1 << 20) / blockSize);
    }

    /** The bound policy; an operation that entered the gate for a change always finds one. */
    public AllocationPolicy policy() throws SuspendedException {
        AllocationPolicy p = bindings.policy();
        if (p == null) {
            // Only an operation that entered the gate without the policy gets here (none should).
            throw new SuspendedException(volume, bindings.describe(VolumeBindings.Service.POLICY));
        }
        return p;
    }

    /** Whether file data keeps a second copy of every block ({@code dup}). */
    public boolean dupData() {
        return dupData;
    }

    /**
     * Blocks for a metadata node, referenced in the running transaction: {@code {first
     * copy, second copy}}, the second 0 unless metadata is {@code dup}. Tree lock held.
     */
    public long[] metadata(int blocks) throws IOException {
        Extent e;
        Extent m = null;
        try {
            e = space.allocate(policy(), blocks, blocks, metadataHint, false);
            if (dupMetadata) {
                try {
                    m = space.allocate(policy(), blocks, blocks, mirrorHint < 0 ? mirrorArea() : mirrorHint, false);
                } catch (NoSpaceException full) {
                    space.giveBack(e.start(), e.length());
                    throw full;
                }
            }
        } catch (NoSpaceException full) {
            throw new NoSpaceException(volume, (long) blocks * blockSize * (dupMetadata ? 2 : 1),
                    "no space left even for metadata");
        }
        // Past the metadata area, the next node looks from the start again, where commits
        // free the nodes they replace, before it goes among the data.
        metadataHint = e.end() >= dataStart ? -1 : e.end();
        ledger.add(e.start(), e.length(), +1, false);
        if (m != null) {
            // Second copies fill their own area at the far end, in the same order.
            mirrorHint = m.end() >= space.totalBlocks() || m.start() < mirrorArea() ? -1 : m.end();
            ledger.add(m.start(), m.length(), +1, false);
        }
        return new long[] {e.start(), m == null ? 0 : m.start()};
    }

    /**
     * Where second copies of metadata nodes go: the last sixteenth of the device, as far
     * from the first copies (which fill the first sixteenth) as the device allows, and out
     * of the way of the long free extents in between that file data streams into.
     */
    private long mirrorArea() {
        return space.totalBlocks() - dataStart;
    }

    /**
     * Where a second copy of blocks from {@code start} asks to go: half the device away,
     * so that damage to one region (a bad patch of the medium, a misdirected write
     * burst) does not take both copies, as btrfs's DUP places its two stripes.
     */
    public long farFrom(long start) {
        long half = space.totalBlocks() / 2;
        long at = start + half;
        return at < space.totalBlocks() ? at : Math.max(dataStart, at - space.totalBlocks());
    }

    /**
     * The second copy of a new data extent {@code primary} ({@code dup} data): as long as
     * it, half a device away. Null when data keeps one copy. When free space cannot give
     * a second extent that long, the first is cut to the longest second one found and its
     * tail given back; the caller writes the rest in another extent.
     *
     * @param reserved whether the second copy's blocks were promised (they are, by
     *        reservations that count copies)
     */
    public Extent mirrorOf(Extent primary, boolean reserved) throws IOException {
        if (!dupData) {
            return null;
        }
        Extent m;
        try {
            m = space.allocate(policy(), primary.length(), 1, farFrom(primary.start()), reserved);
        } catch (NoSpaceException full) {
            space.giveBack(primary.start(), primary.length());
            throw full;
        }
        if (m.length() < primary.length()) {
            space.giveBack(primary.start() + m.length(), primary.length() - m.length());
        }
        return m;
    }

    /**
     * Reserved blocks for a run of {@code length} consecutive file blocks: one extent of
     * the whole run while the volume has one that large, else a piece; the caller asks
     * again for the rest. {@code hint} is where the file's previous block lies, or -1.
     */
    public Extent run(long length, long hint) throws IOException {
        return space.allocateRun(policy(), length, streamHint(length, hint), true);
    }

    /**
     * Where a streaming run asks to go. Right after the file's previous block when the
     * run fits there: the file continues its extent. When another file took that place
     * (several files streaming at once, each writeback a run, took turns right after one
     * another, and every file ended up in 40 to 55 extents of 4 MiB), a long run goes to
     * the middle of the largest free extent instead: the next files that lose their place
     * split the other halves, so each stream gets a region of its own to grow into, as
     * allocation groups and per-file goals do in XFS and ext4. Nothing is set aside: no
     * block is held back from anyone, so nothing can run out of space or leak because of
     * it; a short run (a small write) keeps to the policy's plain order, so small files
     * still pack together and free space is not cut up for them.
     */
    private long streamHint(long length, long hint) {
        if (hint < 0 || length < streamRun) {
            return dataHint(hint);
        }
        synchronized (space) { // the view of free extents is valid under the map's monitor only
            Iterator<Extent> at = space.freeExtents(hint);
            if (at.hasNext()) {
                Extent e = at.next();
                if (e.start() <= hint && e.end() - hint >= length) {
                    return hint;
                }
            }
            Extent largest = space.largestFreeExtent();
            if (largest == null || largest.length() / 2 < length) {
                return hint; // no room for a region of its own: the policy's order decides
            }
            return largest.start() + largest.length() / 2;
        }
    }

    /** Reserved blocks in one extent when free space allows it, else the policy's best piece. */
    public Extent contiguous(long blocks, long hint) throws IOException {
        try {
            return space.allocate(policy(), blocks, blocks, dataHint(hint), true);
        } catch (NoSpaceException fragmented) {
            return space.allocate(policy(), blocks, 1, dataHint(hint), true);
        }
    }

    private long dataHint(long hint) {
        return hint < 0 ? dataStart : hint;
    }
}
