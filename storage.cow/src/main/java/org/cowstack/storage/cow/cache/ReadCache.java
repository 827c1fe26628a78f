package org.cowstack.storage.cow.cache;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.meta.ChangeListener;

/**
 * File data read from the device and verified, kept in memory for the next read: the
 * volume's read cache, of the configured size. The {@link PageCache} beside it holds
 * what writes put there (dirty, in writeback, or written and clean); a read asks it
 * first, so its pages always win over this cache's.
 *
 * <p>Pages live in large arrays (slabs of {@link #SLAB_BYTES}, allocated as the cache
 * fills) and are found through per-file arrays indexed by block, not one object per
 * page: a cache of a million pages costs the garbage collector a few hundred objects
 * that it never copies (arrays this large are allocated outside the young generation),
 * and a read of a cached run is a few array lookups and one copy per page. Eviction is
 * CLOCK: a page read since the hand last passed gets another round.
 *
 * <p>It stays equal to the files because it listens to the volume's change hook: any
 * content change, resize, remap or removal forgets the blocks concerned. A read that
 * fills it takes {@link #version} first and {@link #insert inserts} only if no change
 * to the file was reported in between, so a read racing a write never caches the old
 * data after the write was reported.
 *
 * <p>Thread-safe: one monitor; pages are copied out under it.
 */
public final class ReadCache implements ChangeListener {
    /** Bytes per slab: large enough that G1 allocates it as a humongous object (never copied). */
    static final int SLAB_BYTES = 16 << 20;
    private static final int CHUNK_SHIFT = 10;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int STRIPES = 64;

    private final int blockSize;
    private final int slabPages;
    private long maxPages;
    private byte[][] slabs = new byte[0][];
    /** Per slot: the file it holds a block of, and which block (-1: the slot is free). */
    private long[] owners = new long[0];
    private long[] blocks = new long[0];
    /** Pages the slabs hold. */
    private long capacity;
    private boolean[] referenced = new boolean[0];
    private int[] free = new int[0];
    private int freeCount;
    private long used;
    private int hand;
    private final Map<Long, int[][]> files = new HashMap<>();
    private final long[] versions = new long[STRIPES];
    /** Per streamed file: blocks {@code [from, to)} its stream has read, which go first when the cache is full. */
    private final Map<Long, long[]> behind = new HashMap<>();

    public ReadCache(int blockSize, long maxBytes) {
        this.blockSize = blockSize;
        this.slabPages = Math.max(1, SLAB_BYTES / blockSize - 1);
        this.maxPages = Math.max(1, maxBytes / blockSize);
    }

    // ------------------------------------------------------------------ reads

    /** The change count of the file's stripe: taken before a read that may {@link #insert}. */
    public synchronized long version(long inode) {
        return versions[stripe(inode)];
    }

    /**
     * Copies {@code length} bytes from byte {@code from} of page {@code index} on into
     * {@code dst} (relative put), page after page while they are cached; answers the
     * bytes copied (short at the first page not cached).
     */
    public synchronized int copyOut(long inode, long index, int from, ByteBuffer dst, int length) {
        int[][] chunks = files.get(inode);
        if (chunks == null) {
            return 0;
        }
        int done = 0;
        for (long i = index; done < length; from = 0) {
            int slot = slot(chunks, i);
            if (slot < 0) {
                break;
            }
            // the run of pages in consecutive slots of one slab, up to what is wanted: one copy
            int first = slot % slabPages;
            long wanted = ((long) from + length - done + blockSize - 1) / blockSize;
            int pages = 1;
            referenced[slot] = true;
            while (pages < wanted && first + pages < slabPages && slot(chunks, i + pages) == slot + pages) {
                referenced[slot + pages] = true;
                pages++;
            }
            int n = (int) Math.min((long) pages * blockSize - from, length - done);
            dst.put(slabs[slot / slabPages], first * blockSize + from, n);
            done += n;
            i += pages;
        }
        return done;
    }

    /** The first block of the file in {@code [from, to)} that is not cached, or {@code to}. */
    public synchronized long missingFrom(long inode, long from, long to) {
        int[][] chunks = files.get(inode);
        if (chunks == null) {
            return from;
        }
        long b = from;
        while (b < to && slot(chunks, b) >= 0) {
            b++;
        }
        return b;
    }

    /** The first block of the file in {@code [from, to)} that is cached, or {@code to}. */
    public synchronized long cachedFrom(long inode, long from, long to) {
        int[][] chunks = files.get(inode);
        if (chunks == null) {
            return to;
        }
        long b = from;
        while (b < to && slot(chunks, b) < 0) {
            b++;
        }
        return b;
    }

    public synchronized boolean contains(long inode, long index) {
        int[][] chunks = files.get(inode);
        return chunks != null && slot(chunks, index) >= 0;
    }

    /**
     * Adds {@code count} verified pages ({@code src} from its absolute index {@code at})
     * of the file from block {@code index}, unless the file changed since
     * {@code version} was taken; pages cached already stay as they are.
     */
    public synchronized void insert(long inode, long index, int count, ByteBuffer src, int at, long version) {
        if (versions[stripe(inode)] != version) {
            return;
        }
        int[][] chunks = files.get(inode);
        for (int k = 0; k < count; k++) {
            if (chunks != null && slot(chunks, index + k) >= 0) {
                continue;
            }
            int slot = used >= maxPages ? dropOwnBehind(inode) : -1;
            if (slot < 0) {
                slot = take();
            }
            if (slot < 0) {
                return;
            }
            src.get(at + k * blockSize, slabs[slot / slabPages], (slot % slabPages) * blockSize, blockSize);
            owners[slot] = inode;
            blocks[slot] = index + k;
            referenced[slot] = false;
            chunks = map(inode, index + k, slot);
            used++;
        }
    }

    /**
     * Drop-behind: when {@code n} more pages do not fit without evicting others, up to
     * {@code n} pages of the file in {@code [from, to)} (pages a stream has read already)
     * go first, lowest first. Answers the block before which nothing is left to drop.
     */
    public synchronized long dropBehind(long inode, long from, long to, int n) {
        long[] window = behind.get(inode);
        if (window == null || from < window[0] || from > window[1]) {
            behind.put(inode, new long[] {from, to});
        } else {
            window[1] = Math.max(window[1], to);
        }
        long need = n - (maxPages - used);
        int[][] chunks = files.get(inode);
        long b = from;
        for (; chunks != null && b < to && need > 0; b++) {
            int slot = slot(chunks, b);
            if (slot >= 0) {
                release(slot);
                need--;
            }
        }
        return need > 0 || chunks == null ? to : b;
    }

    // ------------------------------------------------------------------ size

    // ------------------------------------------------------------------ pages pinned for mapped views
    // (placeholders until the cache is indexed by physical block: nothing is pinned, views copy)

    /** The cached page of physical block {@code physical}, read-only and pinned; null when not cached. */
    public synchronized ByteBuffer pin(long physical) {
        return null;
    }

    /** Releases a pin taken by {@link #pin}. */
    public synchronized void unpin(long physical, ByteBuffer page) {
    }

    /** The change count of physical block {@code physical}: taken before a read that may {@link #insertPhysical}. */
    public synchronized long physVersion(long physical) {
        return 0;
    }

    /** Adds the verified page of physical block {@code physical} unless it changed since {@code version}. */
    public synchronized boolean insertPhysical(long physical, ByteBuffer page, long version) {
        return false;
    }

    public synchronized long cachedBytes() {
        return used * blockSize;
    }

    public synchronized long maxBytes() {
        return maxPages * blockSize;
    }

    /** Changes the size limit: a smaller one evicts at once and gives back the slabs above it. */
    public synchronized void maxBytes(long bytes) {
        maxPages = Math.max(1, bytes / blockSize);
        int keepSlabs = (int) Math.min(slabs.length, (maxPages + slabPages - 1) / slabPages);
        if (keepSlabs < slabs.length) {
            for (int slot = keepSlabs * slabPages; slot < blocks.length; slot++) {
                if (blocks[slot] >= 0) {
                    release(slot);
                }
            }
            int keep = keepSlabs * slabPages;
            slabs = Arrays.copyOf(slabs, keepSlabs);
            owners = Arrays.copyOf(owners, keep);
            blocks = Arrays.copyOf(blocks, keep);
            referenced = Arrays.copyOf(referenced, keep);
            int[] kept = new int[keep];
            int c = 0;
            for (int i = 0; i < freeCount; i++) {
                if (free[i] < keep) {
                    kept[c++] = free[i];
                }
            }
            free = kept;
            freeCount = c;
            hand = 0;
            capacity = 0;
            for (byte[] slab : slabs) {
                capacity += slab.length / blockSize;
            }
        }
        while (used > maxPages) {
            evictOne();
        }
    }

    /** The volume is unmounted: the slabs go back to {@link Slabs} for the next volume, and nothing is cached. */
    public synchronized void close() {
        for (byte[] slab : slabs) {
            Slabs.give(slab);
        }
        slabs = new byte[0][];
        owners = new long[0];
        blocks = new long[0];
        referenced = new boolean[0];
        free = new int[0];
        freeCount = 0;
        used = 0;
        capacity = 0;
        hand = 0;
        files.clear();
        behind.clear();
        versions[0]++; // nothing read before this is inserted after it
        maxPages = 0;
    }

    // ------------------------------------------------------------------ the change hook

    /** Forgets the file's blocks in {@code [from, to)}. */
    public synchronized void invalidate(long inode, long from, long to) {
        versions[stripe(inode)]++;
        int[][] chunks = files.get(inode);
        if (chunks == null) {
            return;
        }
        long end = Math.min(to, (long) chunks.length << CHUNK_SHIFT);
        for (long b = Math.max(0, from); b < end; b++) {
            int[] chunk = chunks[(int) (b >>> CHUNK_SHIFT)];
            if (chunk == null) {
                b |= CHUNK - 1; // the whole chunk is empty
                continue;
            }
            int slot = chunk[(int) (b & (CHUNK - 1))] - 1;
            if (slot >= 0) {
                release(slot);
            }
        }
        if (from <= 0 && to == Long.MAX_VALUE) {
            files.remove(inode);
            behind.remove(inode);
        }
    }

    @Override
    public void contentChanged(long inode, long offset, long length) {
        invalidate(inode, offset / blockSize, (offset + length + blockSize - 1) / blockSize);
    }

    @Override
    public void resized(long inode, long oldSize, long newSize) {
        invalidate(inode, Math.min(oldSize, newSize) / blockSize, Long.MAX_VALUE);
    }

    @Override
    public void mapped(long inode, long firstBlock, ExtentItem extent) {
        invalidate(inode, firstBlock, firstBlock + extent.blocks());
    }

    @Override
    public void unmapped(long inode, long firstBlock, ExtentItem extent) {
        invalidate(inode, firstBlock, firstBlock + extent.blocks());
    }

    @Override
    public void removed(long inode) {
        invalidate(inode, 0, Long.MAX_VALUE);
    }

    // ------------------------------------------------------------------ slots

    private static int stripe(long inode) {
        return (int) (inode & (STRIPES - 1));
    }

    private static int slot(int[][] chunks, long index) {
        long c = index >>> CHUNK_SHIFT;
        if (c >= chunks.length) {
            return -1;
        }
        int[] chunk = chunks[(int) c];
        return chunk == null ? -1 : chunk[(int) (index & (CHUNK - 1))] - 1;
    }

    /** Records that the file's page {@code index} is in {@code slot}; answers the file's chunks (grown if need be). */
    private int[][] map(long inode, long index, int slot) {
        int[][] chunks = files.get(inode);
        int c = (int) (index >>> CHUNK_SHIFT);
        if (chunks == null || c >= chunks.length) {
            int[][] grown = new int[Math.max(c + 1, chunks == null ? 8 : chunks.length * 2)][];
            if (chunks != null) {
                System.arraycopy(chunks, 0, grown, 0, chunks.length);
            }
            chunks = grown;
            files.put(inode, chunks);
        }
        if (chunks[c] == null) {
            chunks[c] = new int[CHUNK];
        }
        chunks[c][(int) (index & (CHUNK - 1))] = slot + 1;
        return chunks;
    }

    /** A free slot: a free one, a new one in a new slab while under the limit, or an evicted one; -1 if none. */
    private int take() {
        if (used >= maxPages) {
            evictOne();
        }
        if (freeCount == 0 && capacity < maxPages) {
            growSlab();
        }
        if (freeCount == 0) {
            if (used == 0) {
                return -1;
            }
            evictOne();
        }
        return freeCount == 0 ? -1 : free[--freeCount];
    }

    private void growSlab() {
        int pages = (int) Math.min(slabPages, maxPages - capacity);
        int base = slabs.length * slabPages;
        capacity += pages;
        slabs = Arrays.copyOf(slabs, slabs.length + 1);
        slabs[slabs.length - 1] = Slabs.take(pages * blockSize);
        int total = base + slabPages;
        if (owners.length < total) {
            // by doubling, not slab by slab: copying (and allocating) the per-slot arrays for
            // every slab costs a cache filling to a gigabyte hundreds of megabytes of garbage
            long slabsAtMost = (maxPages + slabPages - 1) / slabPages;
            int grown = (int) Math.max(total, Math.min(2L * owners.length, slabsAtMost * slabPages));
            int old = owners.length;
            owners = Arrays.copyOf(owners, grown);
            blocks = Arrays.copyOf(blocks, grown);
            referenced = Arrays.copyOf(referenced, grown);
            free = Arrays.copyOf(free, grown);
            Arrays.fill(blocks, old, grown, -1L);
        }
        for (int i = pages - 1; i >= 0; i--) {
            free[freeCount++] = base + i;
        }
    }

    /**
     * A full cache's room for a page of a streamed file: the lowest page of it its stream
     * has read already (told by {@link #dropBehind}), released and taken, or -1. Done in
     * the insert itself, so that read-ahead on other threads cannot take the room a stream
     * made and push other files' pages out instead.
     */
    private int dropOwnBehind(long inode) {
        long[] window = behind.get(inode);
        int[][] chunks = files.get(inode);
        if (window == null || chunks == null) {
            return -1;
        }
        for (; window[0] < window[1]; window[0]++) {
            int slot = slot(chunks, window[0]);
            if (slot >= 0) {
                release(slot);
                window[0]++;
                return freeCount == 0 ? -1 : free[--freeCount];
            }
        }
        return -1;
    }

    /** CLOCK: the first page after the hand not read since the hand last passed it. */
    private void evictOne() {
        int n = owners.length;
        for (int steps = 0; steps < 2 * n + 1 && used > 0; steps++) {
            int slot = hand;
            hand = (hand + 1) % n;
            if (blocks[slot] < 0) {
                continue;
            }
            if (referenced[slot]) {
                referenced[slot] = false;
                continue;
            }
            release(slot);
            return;
        }
    }

    private void release(int slot) {
        long inode = owners[slot];
        int[][] chunks = files.get(inode);
        long index = blocks[slot];
        chunks[(int) (index >>> CHUNK_SHIFT)][(int) (index & (CHUNK - 1))] = 0;
        blocks[slot] = -1;
        free[freeCount++] = slot;
        used--;
    }
}
