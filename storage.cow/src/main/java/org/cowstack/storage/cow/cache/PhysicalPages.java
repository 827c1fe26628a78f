package org.cowstack.storage.cow.cache;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The pages of a {@link ReadCache}, one per physical block: verified content of a block
 * of the device, held once however many files (reflinked clones, deduped copies) map
 * that block. Files find them through the {@link ReadCache}'s per-file entries, which
 * {@link #entry name} a slot and the stamp it had when linked: a slot that is evicted or
 * forgotten gets a new stamp when it is filled again, so every file's entry for it is
 * stale at once, with nothing to walk.
 *
 * <p>Pages live in slabs of {@link ReadCache#SLAB_BYTES} (see {@link Slabs}); a
 * primitive map ({@link LongIntMap}) finds a physical block's slot. Per slot: the
 * physical block, its stamp, how many file blocks link it (a page linked from two or
 * more is {@linkplain #sharedBytes shared}), how many views {@linkplain #pin pin} it,
 * and the CLOCK bit. Eviction is CLOCK and never takes a pinned page.
 *
 * <p>A physical block rewritten in place or freed is {@linkplain #forget forgotten};
 * a read that fills a page takes {@link #version} before reading the device, and
 * {@link #changedSince} refuses its content if the block was forgotten in between. A
 * pinned page that is forgotten leaves the index at once and keeps its memory until
 * its last view is {@linkplain #unpin unpinned}.
 *
 * <p>Not thread-safe: guarded by the monitor of the {@link ReadCache} that owns it.
 */
final class PhysicalPages {
    /** Bits of an entry that hold slot + 1 (the rest hold the stamp). */
    static final int SLOT_BITS = 28;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
    private static final long FREE = -1;
    /** A pinned page whose physical block was forgotten: out of the index, kept until unpinned. */
    private static final long FORGOTTEN = -2;
    private static final int PHYS_STRIPES = 1024;

    private final int blockSize;
    private final int slabPages;
    private long maxPages;
    private byte[][] slabs = new byte[0][];
    private long[] physicals = new long[0];
    private long[] stamps = new long[0];
    private int[] links = new int[0];
    private int[] pins = new int[0];
    private boolean[] referenced = new boolean[0];
    private int[] free = new int[0];
    private int freeCount;
    /** Pages the slabs hold. */
    private long capacity;
    /** Slots holding a page (in the index, or forgotten and pinned). */
    private long used;
    private long sharedPages;
    private long pinnedPages;
    private int hand;
    /** Stamps given so far: each filled slot gets the next. */
    private long filled;
    private final LongIntMap index = new LongIntMap();
    private final Map<ByteBuffer, Integer> views = new IdentityHashMap<>();
    /** Physical changes so far; per stripe of physical blocks, the count at its last change. */
    private long changes;
    private final long[] changedAt = new long[PHYS_STRIPES];

    PhysicalPages(int blockSize, int slabPages, long maxPages) {
        if (slabPages >= (1 << SLOT_BITS) - 1) {
            throw new IllegalArgumentException("slab of " + slabPages + " pages");
        }
        this.blockSize = blockSize;
        this.slabPages = slabPages;
        this.maxPages = maxPages;
    }

    // ------------------------------------------------------------------ entries

    /** What a file records to find the page in {@code slot}: the slot and its current stamp. */
    long entry(int slot) {
        return stamps[slot] << SLOT_BITS | (slot + 1);
    }

    /** The slot an entry names if it still holds the page it held when the entry was made; else -1. */
    int slotOf(long entry) {
        if (entry == 0) {
            return -1;
        }
        int slot = (int) (entry & SLOT_MASK) - 1;
        return slot < stamps.length && stamps[slot] == entry >>> SLOT_BITS ? slot : -1;
    }

    int slabPages() {
        return slabPages;
    }

    // ------------------------------------------------------------------ pages

    /** The slot of the page of {@code physical}, or -1. */
    int find(long physical) {
        return index.get(physical);
    }

    /** The change count: taken before reading a block from the device that {@link #fill} may cache. */
    long version() {
        return changes;
    }

    /** Whether {@code physical} may have been rewritten or freed since {@code version} was taken. */
    boolean changedSince(long physical, long version) {
        return changedAt[(int) (physical & (PHYS_STRIPES - 1))] > version;
    }

    /** Whether another page needs one evicted (or dropped behind) first. */
    boolean full() {
        return used >= maxPages;
    }

    /**
     * Caches the page of {@code physical} from {@code src} (absolute, from {@code at}; the
     * buffer is not moved), unless it is cached already; answers its slot, or -1 when no
     * slot is free (everything pinned) or the block changed since {@code version}.
     */
    int fill(long physical, ByteBuffer src, int at, long version) {
        if (changedSince(physical, version)) {
            return -1;
        }
        int slot = index.get(physical);
        if (slot >= 0) {
            return slot;
        }
        slot = take();
        if (slot < 0) {
            return -1;
        }
        src.get(at, slabs[slot / slabPages], (slot % slabPages) * blockSize, blockSize);
        physicals[slot] = physical;
        stamps[slot] = ++filled;
        referenced[slot] = false;
        index.put(physical, slot);
        return slot;
    }

    /** One more file block shows the page in {@code slot}. */
    void link(int slot) {
        if (++links[slot] == 2) {
            sharedPages++;
        }
    }

    /** One file block less shows the page; answers how many still do. */
    int unlink(int slot) {
        if (links[slot]-- == 2) {
            sharedPages--;
        }
        return links[slot];
    }

    boolean pinned(int slot) {
        return pins[slot] > 0;
    }

    void touch(int slot) {
        referenced[slot] = true;
    }

    /** Copies {@code n} bytes from byte {@code from} of the page in {@code slot} on (consecutive slots of its slab). */
    void copy(int slot, int from, ByteBuffer dst, int n) {
        dst.put(slabs[slot / slabPages], (slot % slabPages) * blockSize + from, n);
    }

    /**
     * Physical blocks {@code [physical, physical + blocks)} were rewritten or freed: their
     * pages go (every file's entry for them is stale), and reads that took
     * {@link #version} before now cannot cache what they read of them.
     */
    void forget(long physical, long blocks) {
        changes++;
        if (blocks >= PHYS_STRIPES) {
            Arrays.fill(changedAt, changes);
        } else {
            for (long p = physical; p < physical + blocks; p++) {
                changedAt[(int) (p & (PHYS_STRIPES - 1))] = changes;
            }
        }
        if (index.size() == 0) {
            return;
        }
        if (blocks > index.size()) {
            for (int slot = 0; slot < physicals.length; slot++) {
                long p = physicals[slot];
                if (p >= physical && p - physical < blocks) {
                    release(slot);
                }
            }
        } else {
            for (long p = physical; p < physical + blocks; p++) {
                int slot = index.get(p);
                if (slot >= 0) {
                    release(slot);
                }
            }
        }
    }

    /** Every page goes (pinned ones leave the index and stay until unpinned), as if every block changed. */
    void forgetAll() {
        changes++;
        Arrays.fill(changedAt, changes);
        for (int slot = 0; slot < physicals.length; slot++) {
            release(slot);
        }
    }

    /**
     * Lets the page in {@code slot} go: out of the index, every entry for it stale; its
     * slot is free, or, while pinned, kept as {@link #FORGOTTEN} until the last unpin.
     */
    void release(int slot) {
        long p = physicals[slot];
        if (p < 0) {
            return;
        }
        index.remove(p);
        stamps[slot] = 0;
        if (links[slot] >= 2) {
            sharedPages--;
        }
        links[slot] = 0;
        if (pins[slot] > 0) {
            physicals[slot] = FORGOTTEN;
        } else {
            physicals[slot] = FREE;
            free[freeCount++] = slot;
            used--;
        }
    }

    // ------------------------------------------------------------------ pins

    ByteBuffer pin(long physical) {
        int slot = index.get(physical);
        if (slot < 0) {
            return null;
        }
        if (pins[slot]++ == 0) {
            pinnedPages++;
        }
        referenced[slot] = true;
        ByteBuffer view = ByteBuffer.wrap(slabs[slot / slabPages], (slot % slabPages) * blockSize, blockSize)
                .slice().asReadOnlyBuffer();
        views.put(view, slot);
        return view;
    }

    /** Answers false if {@code view} is not a pinned view of this cache (unpinned already, or the cache closed). */
    boolean unpin(ByteBuffer view) {
        Integer s = views.remove(view);
        if (s == null) {
            return false;
        }
        int slot = s;
        if (--pins[slot] == 0) {
            pinnedPages--;
            if (physicals[slot] == FORGOTTEN) {
                physicals[slot] = FREE;
                free[freeCount++] = slot;
                used--;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ size

    long cachedBytes() {
        return used * blockSize;
    }

    long sharedBytes() {
        return sharedPages * blockSize;
    }

    long pinnedBytes() {
        return pinnedPages * blockSize;
    }

    long maxBytes() {
        return maxPages * blockSize;
    }

    /** Free slots left under the limit. */
    long room() {
        return maxPages - used;
    }

    /** A smaller limit evicts at once and gives back the slabs above it (but not those with pinned pages). */
    void maxPages(long pages) {
        maxPages = pages;
        int keepSlabs = (int) Math.min(slabs.length, (maxPages + slabPages - 1) / slabPages);
        for (int slot = keepSlabs * slabPages; slot < pins.length; slot++) {
            if (pins[slot] > 0) {
                keepSlabs = slot / slabPages + 1;
            }
        }
        if (keepSlabs < slabs.length) {
            for (int slot = keepSlabs * slabPages; slot < physicals.length; slot++) {
                release(slot);
            }
            int keep = keepSlabs * slabPages;
            slabs = Arrays.copyOf(slabs, keepSlabs);
            physicals = Arrays.copyOf(physicals, keep);
            stamps = Arrays.copyOf(stamps, keep);
            links = Arrays.copyOf(links, keep);
            pins = Arrays.copyOf(pins, keep);
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
        while (used > maxPages && evictOne()) {
            // evicting
        }
    }

    /**
     * The volume is unmounted: slabs go back to {@link Slabs} for the next volume, except
     * those with pinned pages (a view of them must not show another volume's data; the
     * garbage collector takes them once their views are gone). Nothing is cached after.
     */
    void close() {
        for (int s = 0; s < slabs.length; s++) {
            boolean pinnedSlab = false;
            for (int slot = s * slabPages; slot < Math.min(pins.length, (s + 1) * slabPages); slot++) {
                pinnedSlab |= pins[slot] > 0;
            }
            if (!pinnedSlab) {
                Slabs.give(slabs[s]);
            }
        }
        slabs = new byte[0][];
        physicals = new long[0];
        stamps = new long[0];
        links = new int[0];
        pins = new int[0];
        referenced = new boolean[0];
        free = new int[0];
        freeCount = 0;
        used = 0;
        capacity = 0;
        hand = 0;
        sharedPages = 0;
        pinnedPages = 0;
        index.clear();
        views.clear();
        changes++;
        Arrays.fill(changedAt, changes);
        maxPages = 0;
    }

    // ------------------------------------------------------------------ slots

    /** A free slot: a free one, a new one in a new slab while under the limit, or an evicted one; -1 if none. */
    private int take() {
        if (used >= maxPages && !evictOne()) {
            return -1; // everything pinned
        }
        if (freeCount == 0 && capacity < maxPages) {
            growSlab();
        }
        if (freeCount == 0 && !evictOne()) {
            return -1;
        }
        if (freeCount == 0) {
            return -1;
        }
        used++;
        return free[--freeCount];
    }

    private void growSlab() {
        int pages = (int) Math.min(slabPages, maxPages - capacity);
        int base = slabs.length * slabPages;
        capacity += pages;
        slabs = Arrays.copyOf(slabs, slabs.length + 1);
        slabs[slabs.length - 1] = Slabs.take(pages * blockSize);
        int total = base + slabPages;
        if (physicals.length < total) {
            // by doubling, not slab by slab: copying (and allocating) the per-slot arrays for
            // every slab costs a cache filling to a gigabyte hundreds of megabytes of garbage
            long slabsAtMost = (maxPages + slabPages - 1) / slabPages;
            int grown = (int) Math.max(total, Math.min(2L * physicals.length, slabsAtMost * slabPages));
            int old = physicals.length;
            physicals = Arrays.copyOf(physicals, grown);
            stamps = Arrays.copyOf(stamps, grown);
            links = Arrays.copyOf(links, grown);
            pins = Arrays.copyOf(pins, grown);
            referenced = Arrays.copyOf(referenced, grown);
            free = Arrays.copyOf(free, grown);
            Arrays.fill(physicals, old, grown, FREE);
        }
        for (int i = pages - 1; i >= 0; i--) {
            free[freeCount++] = base + i;
        }
    }

    /** CLOCK: the first page after the hand not read since the hand last passed it, and not pinned. */
    private boolean evictOne() {
        int n = physicals.length;
        for (int steps = 0; steps < 2 * n + 1 && used > 0; steps++) {
            int slot = hand;
            hand = (hand + 1) % n;
            if (physicals[slot] < 0 || pins[slot] > 0) {
                continue;
            }
            if (referenced[slot]) {
                referenced[slot] = false;
                continue;
            }
            release(slot);
            return true;
        }
        return false;
    }
}
