package org.cowstack.storage.cow.cache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * File data in memory, one page per file-system block.
 *
 * <p>A page is CLEAN (equal to what is on disk), DIRTY (accepted data whose block is
 * not allocated yet: delayed allocation) or WRITEBACK (captured by a commit that is
 * writing it: its block is allocated and the trees point at it, so it stays in memory
 * until the write is done). Only clean pages are evicted, least recently used first.
 *
 * <p>A dirty page is <em>reserved</em> when a block was promised to it at write time:
 * it will be copied on write. A page that will overwrite its block in place (a NOCOW
 * file's unshared block, or a preallocated one) needs no new block and holds no
 * reservation; whoever makes its block shared must give it one first.
 *
 * <p>Thread-safe: one monitor for the maps; page contents are copied in and out while
 * it is held.
 *
 * <p>The arrays of evicted pages are kept for the next pages instead of being left to
 * the garbage collector: streaming a file through the cache would otherwise allocate
 * its whole size in page arrays that live just long enough to be copied between
 * generations, and the collector's pauses would cost more than the I/O.
 */
public final class PageCache {
    public enum State { CLEAN, DIRTY, WRITEBACK }

    /** One block of a file in memory. */
    public static final class Page {
        public final byte[] data;
        State state;
        /** A block is promised to this dirty page (it will be copied on write). */
        public boolean reserved;

        Page(byte[] data, State state) {
            this.data = data;
            this.state = state;
        }
    }

    private record PageKey(long inode, long index) {
    }

    private final int blockSize;
    private final long maxPages;
    /** Every page, least recently used first. */
    private final LinkedHashMap<PageKey, Page> pages = new LinkedHashMap<>(1024, 0.75f, true);
    /** The same pages by file and index, so a range of one file is found without a scan of the cache. */
    private final TreeMap<Long, TreeMap<Long, Page>> byInode = new TreeMap<>();
    private final TreeMap<Long, TreeMap<Long, Page>> dirtyByInode = new TreeMap<>();
    private long dirtyPages;
    /** Arrays of evicted clean pages, no longer referenced by any page: reused by the next ones. */
    private final java.util.ArrayDeque<byte[]> spare = new java.util.ArrayDeque<>();

    public PageCache(int blockSize, long maxBytes) {
        this.blockSize = blockSize;
        this.maxPages = Math.max(64, maxBytes / blockSize);
    }

    /** Dirty pages over which writers should commit before adding more. */
    public long dirtyLimit() {
        return maxPages / 2;
    }

    public synchronized long dirtyPages() {
        return dirtyPages;
    }

    /** Copies the cached page, if any, into {@code into} at {@code at}; returns whether it was cached. */
    public synchronized boolean copyOut(long inode, long index, int from, byte[] into, int at, int length) {
        Page p = pages.get(new PageKey(inode, index));
        if (p == null) {
            return false;
        }
        System.arraycopy(p.data, from, into, at, length);
        return true;
    }

    /** True when the page is dirty: a write to it needs no new reservation. */
    public synchronized boolean isDirty(long inode, long index) {
        Page p = pages.get(new PageKey(inode, index));
        return p != null && p.state == State.DIRTY;
    }

    public synchronized boolean isCached(long inode, long index) {
        return pages.containsKey(new PageKey(inode, index));
    }

    /** Adds a page read from disk, unless one is cached already. */
    public synchronized void putClean(long inode, long index, byte[] data, int from) {
        PageKey k = new PageKey(inode, index);
        if (pages.containsKey(k)) {
            return;
        }
        byte[] copy = newPageData();
        System.arraycopy(data, from, copy, 0, blockSize);
        insert(k, new Page(copy, State.CLEAN));
        evict();
    }

    private void insert(PageKey k, Page p) {
        pages.put(k, p);
        byInode.computeIfAbsent(k.inode(), i -> new TreeMap<>()).put(k.index(), p);
    }

    private void forget(PageKey k) {
        pages.remove(k);
        TreeMap<Long, Page> perInode = byInode.get(k.inode());
        if (perInode != null) {
            perInode.remove(k.index());
            if (perInode.isEmpty()) {
                byInode.remove(k.inode());
            }
        }
    }

    /**
     * Copies {@code length} bytes of {@code src} from its absolute index {@code at} into
     * a page and makes it dirty. {@code base} gives the page's previous content when it
     * is not cached (null: zeros).
     *
     * @param reserve whether a block was promised for the page if it becomes dirty now
     * @return true when the page was not dirty before
     */
    public synchronized boolean write(long inode, long index, int from, ByteBuffer src, int at, int length, byte[] base,
            boolean reserve) {
        PageKey k = new PageKey(inode, index);
        Page p = pages.get(k);
        if (p == null) {
            byte[] data = newPageData();
            if (base != null) {
                System.arraycopy(base, 0, data, 0, blockSize);
            } else if (from > 0 || length < blockSize) {
                java.util.Arrays.fill(data, (byte) 0); // a recycled array holds an old page
            }
            p = new Page(data, State.CLEAN);
            insert(k, p);
        }
        // A WRITEBACK page's content was captured when its commit began: writing over it
        // is safe, it only needs to be written again.
        src.get(at, p.data, from, length);
        boolean newlyDirty = p.state != State.DIRTY;
        if (newlyDirty) {
            p.state = State.DIRTY;
            p.reserved = reserve;
            dirtyByInode.computeIfAbsent(inode, i -> new TreeMap<>()).put(index, p);
            dirtyPages++;
        }
        evict();
        return newlyDirty;
    }

    /** Pages of one file holding a reservation: data accepted whose blocks are not allocated yet. */
    public synchronized long reservedPagesOf(long inode) {
        TreeMap<Long, Page> dirty = dirtyByInode.get(inode);
        if (dirty == null) {
            return 0;
        }
        return dirty.values().stream().filter(p -> p.reserved).count();
    }

    /** Dirty pages of one file. */
    public synchronized long dirtyPagesOf(long inode) {
        TreeMap<Long, Page> dirty = dirtyByInode.get(inode);
        return dirty == null ? 0 : dirty.size();
    }

    /** Dirty pages of one file with index in {@code [from, to)}. */
    public synchronized long dirtyPagesOf(long inode, long from, long to) {
        TreeMap<Long, Page> dirty = dirtyByInode.get(inode);
        return dirty == null ? 0 : dirty.subMap(from, true, to, false).size();
    }

    /**
     * Hands every dirty page to a commit: they become WRITEBACK. The pages' data must be
     * copied while the caller holds the tree lock; {@link #written} ends the state.
     */
    public synchronized TreeMap<Long, TreeMap<Long, Page>> takeDirty() {
        TreeMap<Long, TreeMap<Long, Page>> taken = new TreeMap<>(dirtyByInode);
        for (TreeMap<Long, Page> perInode : taken.values()) {
            for (Page p : perInode.values()) {
                p.state = State.WRITEBACK;
            }
        }
        dirtyByInode.clear();
        dirtyPages = 0;
        return taken;
    }

    /**
     * As {@link #takeDirty()}, for the dirty pages of one file with index in
     * {@code [from, to)} only: a range written back before it is cloned or deduped.
     */
    public synchronized TreeMap<Long, TreeMap<Long, Page>> takeDirty(long inode, long from, long to) {
        TreeMap<Long, TreeMap<Long, Page>> taken = new TreeMap<>();
        TreeMap<Long, Page> dirty = dirtyByInode.get(inode);
        if (dirty == null) {
            return taken;
        }
        Map<Long, Page> range = dirty.subMap(from, true, to, false);
        if (range.isEmpty()) {
            return taken;
        }
        TreeMap<Long, Page> pages = new TreeMap<>(range);
        for (Page p : pages.values()) {
            p.state = State.WRITEBACK;
        }
        dirtyPages -= pages.size();
        range.clear();
        if (dirty.isEmpty()) {
            dirtyByInode.remove(inode);
        }
        taken.put(inode, pages);
        return taken;
    }

    /** The pages' writes are done: those not dirtied again since are clean. */
    public synchronized void written(TreeMap<Long, TreeMap<Long, Page>> pagesWritten) {
        for (TreeMap<Long, Page> perInode : pagesWritten.values()) {
            for (Page p : perInode.values()) {
                if (p.state == State.WRITEBACK) {
                    p.state = State.CLEAN;
                }
            }
        }
        evict();
    }

    /**
     * Forgets the inode's pages with index in {@code [from, to)}; returns how many of them
     * were dirty and reserved (their reservations are to be given back).
     */
    public synchronized long drop(long inode, long from, long to) {
        long droppedReserved = 0;
        TreeMap<Long, Page> dirty = dirtyByInode.get(inode);
        if (dirty != null) {
            Map<Long, Page> range = dirty.subMap(from, true, to, false);
            for (Page p : range.values()) {
                if (p.reserved) {
                    droppedReserved++;
                }
            }
            dirtyPages -= range.size();
            range.clear();
            if (dirty.isEmpty()) {
                dirtyByInode.remove(inode);
            }
        }
        TreeMap<Long, Page> all = byInode.get(inode);
        if (all != null) {
            // A WRITEBACK page leaves the maps but stays alive in its commit's list.
            for (Long index : new ArrayList<>(all.subMap(from, true, to, false).keySet())) {
                forget(new PageKey(inode, index));
            }
        }
        return droppedReserved;
    }

    /** An array for a new page: an evicted page's (old content) or a new one (zeros). */
    private byte[] newPageData() {
        if (pages.size() >= maxPages) {
            evict(1);
        }
        byte[] data = spare.poll();
        return data != null ? data : new byte[blockSize];
    }

    private void evict() {
        evict(0);
    }

    /** Evicts least recently used clean pages until {@code room} more fit. */
    private void evict(int room) {
        long excess = pages.size() + room - maxPages;
        if (excess <= 0) {
            return;
        }
        List<Map.Entry<PageKey, Page>> victims = new ArrayList<>();
        for (Map.Entry<PageKey, Page> e : pages.entrySet()) {
            if (victims.size() >= excess) {
                break;
            }
            if (e.getValue().state == State.CLEAN) {
                victims.add(e);
            }
        }
        for (Map.Entry<PageKey, Page> victim : victims) {
            // A clean page in the maps is referenced by nothing else (copies go in and out
            // under this monitor; a commit lets go of its pages when they become clean).
            spare.push(victim.getValue().data);
            forget(victim.getKey());
        }
    }

    // ------------------------------------------------------------------ the read path's queries (issue 17)

    /**
     * Copies {@code length} bytes from byte {@code from} of page {@code index} on into
     * {@code dst} (relative put), page after page while they are cached; answers the
     * bytes copied (short at the first page not cached).
     */
    public synchronized int copyOut(long inode, long index, int from, ByteBuffer dst, int length) {
        int done = 0;
        for (long i = index; done < length; i++, from = 0) {
            Page p = pages.get(new PageKey(inode, i));
            if (p == null) {
                break;
            }
            int n = Math.min(blockSize - from, length - done);
            dst.put(p.data, from, n);
            done += n;
        }
        return done;
    }

    /** The first page of the file cached (in any state) with index in {@code [from, to)}, or {@code to}. */
    public synchronized long nextCached(long inode, long from, long to) {
        TreeMap<Long, Page> all = byInode.get(inode);
        Long next = all == null ? null : all.ceilingKey(from);
        return next == null || next >= to ? to : next;
    }

    /** Pages cached, in any state. */
    public synchronized long cachedPages() {
        return pages.size();
    }
}
