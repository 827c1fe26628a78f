package org.cowstack.storage.space;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.alloc.FreeSpaceView;
import org.cowstack.storage.api.InvalidArgumentException;

/**
 * A volume's free space in memory: the free extents an allocation policy chooses from,
 * the blocks promised to accepted writes ({@linkplain #reserve reservations}), and the
 * blocks freed by the running transaction, which are not reusable until the commit
 * that frees them is durable (until then the last committed state still uses them).
 *
 * <p>Thread-safe: one monitor, held briefly. The policy runs under it, so it sees a
 * stable view and one allocation at a time.
 */
public final class SpaceMap implements FreeSpaceView {
    private final String volume;
    private final int blockSize;
    private final long totalBlocks;
    /** Blocks no data write may take: what commits need for metadata on a full volume. */
    private final long metadataReserve;
    private final TreeMap<Long, Long> free = new TreeMap<>(); // start -> length, never touching
    /**
     * The starts of the free extents of each length: the largest free extent in O(log n),
     * which a run's allocation and a stream's placement ask first. A scan of every free
     * extent made each of them linear in the free-space fragments, under this map's
     * monitor, where writers promising blocks to their writes wait.
     */
    private final TreeMap<Long, TreeSet<Long>> byLength = new TreeMap<>();
    private long freeBlocks;
    private long reserved;
    private long cursor;
    private List<long[]> pending = new ArrayList<>();
    private long pendingBlocks;
    /**
     * Blocks each file block takes: 2 when data is {@code dup}. Promises are counted in
     * file blocks by callers and in device blocks here, so a write promised space for
     * its data has it for the second copy too.
     */
    private int dataCopies = 1;
    private int pins;
    private final List<long[]> held = new ArrayList<>();

    public SpaceMap(String volume, int blockSize, long totalBlocks, long metadataReserve) {
        this.volume = volume;
        this.blockSize = blockSize;
        this.totalBlocks = totalBlocks;
        this.metadataReserve = metadataReserve;
    }

    /** A metadata reserve suited to a volume: 1/64 of it, at least 64 blocks, at most 64 MiB. */
    public static long defaultMetadataReserve(long totalBlocks, int blockSize) {
        long cap = (64L << 20) / blockSize;
        return Math.min(Math.max(64, totalBlocks / 64), Math.max(64, cap));
    }

    /** Data keeps {@code copies} copies of every block (1, or 2 for {@code dup}): see {@link #reserve}. */
    public synchronized void dataCopies(int copies) {
        this.dataCopies = copies;
    }

    /** Adds a free extent (at mount, from the free-space tree). */
    public synchronized void addFree(long start, long length) {
        insert(start, length);
    }

    @Override
    public String volume() {
        return volume;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long totalBlocks() {
        return totalBlocks;
    }

    @Override
    public synchronized long freeBlocks() {
        return freeBlocks;
    }

    /** Blocks freed by the running transaction, not yet reusable. */
    public synchronized long pendingBlocks() {
        return pendingBlocks;
    }

    /** Blocks promised to accepted writes. */
    public synchronized long reservedBlocks() {
        return reserved;
    }

    /** File blocks a new data write can still be promised (each takes every data copy). */
    public synchronized long availableBlocks() {
        return Math.max(0, freeBlocks - reserved - metadataReserve) / dataCopies;
    }

    @Override
    public synchronized long largestFree() {
        return byLength.isEmpty() ? 0 : byLength.lastKey();
    }

    /** The largest free extent (the lowest of several that large), or null when nothing is free. */
    public synchronized Extent largestFreeExtent() {
        Map.Entry<Long, TreeSet<Long>> largest = byLength.lastEntry();
        return largest == null ? null : new Extent(largest.getValue().first(), largest.getKey());
    }

    @Override
    public synchronized Iterator<Extent> freeExtents(long fromBlock) {
        Map.Entry<Long, Long> containing = free.floorEntry(fromBlock);
        long first = containing != null && containing.getKey() + containing.getValue() > fromBlock
                ? containing.getKey() : fromBlock;
        // A live view, not a copy: the policy runs under our monitor (the view is valid
        // only during its call), and a copy of every free extent per allocation made
        // allocation linear in free-space fragments even when the first one fits.
        Iterator<Map.Entry<Long, Long>> it = free.tailMap(first, true).entrySet().iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Extent next() {
                Map.Entry<Long, Long> e = it.next();
                return new Extent(e.getKey(), e.getValue());
            }
        };
    }

    @Override
    public synchronized long cursor() {
        return cursor;
    }

    /**
     * Promises {@code blocks} to a data write.
     *
     * @return false when they are not available (the caller may commit to make pending
     *         frees reusable, and try again)
     */
    public synchronized boolean reserve(long blocks) {
        return reserve(blocks, 0);
    }

    /**
     * Promises {@code blocks} to a data write only if {@code headroom} more blocks stay
     * free beside the metadata reserve: what the commit of the running transaction will
     * need for metadata, which the caller estimates from the changes it holds.
     *
     * @return false when they are not available with that headroom
     */
    public synchronized boolean reserve(long blocks, long headroom) {
        long raw = blocks * dataCopies;
        if (raw + headroom > freeBlocks - reserved - metadataReserve) {
            return false;
        }
        reserved += raw;
        return true;
    }

    /**
     * Promises blocks even into the metadata reserve: for the few blocks an operation
     * must have to shrink or settle (a truncate's last block, a race with a commit).
     */
    public synchronized void reserveAnyway(long blocks) {
        reserved += blocks * dataCopies;
    }

    /** Gives back promised blocks that will not be written (a truncate dropped the data). */
    public synchronized void unreserve(long blocks) {
        reserved = Math.max(0, reserved - blocks * dataCopies);
    }

    /**
     * Allocates up to {@code length} blocks in one extent of at least {@code minLength},
     * through {@code policy}. With {@code fromReservation} the blocks were promised
     * before and the promise is consumed; otherwise (metadata) they may come from the
     * metadata reserve.
     */
    public synchronized Extent allocate(AllocationPolicy policy, long length, long minLength, long hint,
            boolean fromReservation) throws NoSpaceException, InvalidArgumentException {
        Extent e = policy.allocate(this, AllocationRequest.of(length, minLength, hint));
        if (e.length() < minLength || e.length() > length || !isFree(e)) {
            throw new IllegalStateException("allocation policy " + nameOf(policy) + " returned " + e
                    + " for " + length + " blocks (at least " + minLength + "), which is not free space");
        }
        remove(e.start(), e.length());
        if (fromReservation) {
            reserved = Math.max(0, reserved - e.length());
        }
        cursor = e.end();
        return e;
    }

    /** A policy's name for a message, or its class when it cannot say (no identity annotation). */
    private static String nameOf(AllocationPolicy policy) {
        try {
            return policy.name();
        } catch (RuntimeException e) {
            return policy.getClass().getName();
        }
    }

    /**
     * Allocates for a run of {@code length} consecutive file blocks, asking the policy
     * for one extent of the whole run while the volume has one that large (the
     * contiguity request) and for any piece otherwise; the caller asks again for the rest.
     */
    public synchronized Extent allocateRun(AllocationPolicy policy, long length, long hint, boolean fromReservation)
            throws NoSpaceException, InvalidArgumentException {
        long wish = length == 1 || largestFree() >= length ? length : 1;
        return allocate(policy, length, wish, hint, fromReservation);
    }

    /** Marks a specific extent used (mkfs, or a caller that must have these blocks). */
    public synchronized void take(long start, long length) {
        if (!isFree(new Extent(start, length))) {
            throw new IllegalStateException("blocks " + start + "+" + length + " are not free");
        }
        remove(start, length);
    }

    /** Returns blocks allocated but never referenced (their write failed): reusable at once. */
    public synchronized void giveBack(long start, long length) {
        insert(start, length);
    }

    /** Blocks the running transaction stopped using: reusable after its commit is durable. */
    public synchronized void freeLater(long start, long length) {
        pending.add(new long[] {start, length});
        pendingBlocks += length;
    }

    /** Ends the running transaction's list of frees; pass it to {@link #release} once durable. */
    public synchronized List<long[]> takePending() {
        List<long[]> taken = pending;
        pending = new ArrayList<>();
        pendingBlocks = 0;
        return taken;
    }

    /** Makes frees of a durable commit reusable, or keeps them for later while the map is {@linkplain #pin pinned}. */
    public synchronized void release(List<long[]> frees) {
        if (pins > 0) {
            held.addAll(frees);
            return;
        }
        for (long[] f : frees) {
            insert(f[0], f[1]);
        }
    }

    /**
     * Keeps every block freed from now on from being reused until {@link #unpin}: a reader
     * that walks the trees of one commit without the tree lock (a scrub) pins them, so
     * the nodes it still has to visit are not overwritten by later commits.
     */
    public synchronized void pin() {
        pins++;
    }

    /** Ends a {@link #pin}; the last one makes the frees held meanwhile reusable. */
    public synchronized void unpin() {
        if (pins > 0 && --pins == 0) {
            for (long[] f : held) {
                insert(f[0], f[1]);
            }
            held.clear();
        }
    }

    private boolean isFree(Extent e) {
        Map.Entry<Long, Long> f = free.floorEntry(e.start());
        return f != null && f.getKey() + f.getValue() >= e.end();
    }

    private void remove(long start, long length) {
        Map.Entry<Long, Long> f = free.floorEntry(start);
        long fStart = f.getKey();
        long fEnd = fStart + f.getValue();
        drop(fStart);
        if (fStart < start) {
            put(fStart, start - fStart);
        }
        if (start + length < fEnd) {
            put(start + length, fEnd - start - length);
        }
        freeBlocks -= length;
    }

    private void insert(long start, long length) {
        long end = start + length;
        Map.Entry<Long, Long> before = free.floorEntry(start);
        if (before != null && before.getKey() + before.getValue() > start) {
            throw new IllegalStateException("blocks " + start + "+" + length + " freed twice (overlap with free "
                    + before.getKey() + "+" + before.getValue() + ")");
        }
        Map.Entry<Long, Long> after = free.ceilingEntry(start);
        if (after != null && after.getKey() < end) {
            throw new IllegalStateException("blocks " + start + "+" + length + " freed twice (overlap with free "
                    + after.getKey() + "+" + after.getValue() + ")");
        }
        if (before != null && before.getKey() + before.getValue() == start) {
            drop(before.getKey());
            start = before.getKey();
        }
        if (after != null && after.getKey() == end) {
            drop(end);
            end += after.getValue();
        }
        put(start, end - start);
        freeBlocks += length;
    }

    /** A free extent, in both maps. */
    private void put(long start, long length) {
        free.put(start, length);
        byLength.computeIfAbsent(length, l -> new TreeSet<>()).add(start);
    }

    /** The free extent at {@code start} is free no more, in both maps. */
    private void drop(long start) {
        Long length = free.remove(start);
        TreeSet<Long> starts = byLength.get(length);
        starts.remove(start);
        if (starts.isEmpty()) {
            byLength.remove(length);
        }
    }

    /** A copy of the free extents, for audits. */
    public synchronized TreeMap<Long, Long> snapshot() {
        return new TreeMap<>(free);
    }
}
