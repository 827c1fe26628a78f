package org.cowstack.storage.cow.cache;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

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
 * <p>Pages are found per file in a {@link PageTree} (a radix tree by block index, as the
 * kernel's page cache), a file's dirty pages in a second one; clean pages are chained in
 * least-recently-used order through the pages themselves. Nothing on the write or read
 * path allocates a map entry or boxes a key, except one lookup of the file per call.
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
        final long inode;
        final long index;
        /** In its file's tree (a dropped WRITEBACK page lives on only in its commit's list). */
        boolean cached;
        /** Neighbours in the LRU chain: only clean cached pages are chained. */
        Page older;
        Page newer;
        boolean chained;

        Page(byte[] data, State state, long inode, long index) {
            this.data = data;
            this.state = state;
            this.inode = inode;
            this.index = index;
        }
    }

    /**
     * The dirty pages of one file handed to a commit or writeback, in index order.
     *
     * @param inode   the file
     * @param indexes block indexes, ascending
     * @param pages   the page of each index
     */
    public record FileDirty(long inode, long[] indexes, Page[] pages) {
        public int size() {
            return indexes.length;
        }
    }

    /** One file's pages. */
    private static final class FilePages {
        final PageTree<Page> all = new PageTree<>();
        final PageTree<Page> dirty = new PageTree<>();
    }

    private final int blockSize;
    private final long maxPages;
    private final HashMap<Long, FilePages> files = new HashMap<>();
    /** The file found last: most calls come in runs for one file. */
    private FilePages lastFile;
    private long lastInode = -1;
    /** Pages in the files' trees. */
    private long cachedPages;
    /** Written under the monitor, read without it: a writer's check of the dirty allowance waits for no commit. */
    private volatile long dirtyPages;
    /** Clean cached pages, least recently used first: the ones eviction may take. */
    private final CleanPages clean = new CleanPages();
    /** Arrays of evicted clean pages, no longer referenced by any page: reused by the next ones. */
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>();

    public PageCache(int blockSize, long maxBytes) {
        this.blockSize = blockSize;
        this.maxPages = Math.max(64, maxBytes / blockSize);
    }

    /** Dirty pages over which writers should commit before adding more. */
    public long dirtyLimit() {
        return maxPages / 2;
    }

    public long dirtyPages() {
        return dirtyPages;
    }

    /** Pages held now, clean, dirty or being written. */
    public synchronized long cachedPages() {
        return cachedPages;
    }

    private FilePages file(long inode) {
        if (inode == lastInode && lastFile != null) {
            return lastFile;
        }
        FilePages f = files.get(inode);
        if (f != null) {
            lastInode = inode;
            lastFile = f;
        }
        return f;
    }

    private FilePages fileForUpdate(long inode) {
        FilePages f = file(inode);
        if (f == null) {
            f = new FilePages();
            files.put(inode, f);
            lastInode = inode;
            lastFile = f;
        }
        return f;
    }

    private void forgetFileIfEmpty(long inode, FilePages f) {
        if (f.all.isEmpty() && f.dirty.isEmpty()) {
            files.remove(inode);
            if (lastInode == inode) {
                lastFile = null;
                lastInode = -1;
            }
        }
    }

    private Page page(long inode, long index) {
        FilePages f = file(inode);
        return f == null ? null : f.all.get(index);
    }

    /** Copies the cached page, if any, into {@code into} at {@code at}; returns whether it was cached. */
    public synchronized boolean copyOut(long inode, long index, int from, byte[] into, int at, int length) {
        Page p = page(inode, index);
        if (p == null) {
            return false;
        }
        System.arraycopy(p.data, from, into, at, length);
        if (p.chained) {
            clean.remove(p);
            clean.append(p);
        }
        return true;
    }

    /** True when the page is dirty: a write to it needs no new reservation. */
    public synchronized boolean isDirty(long inode, long index) {
        Page p = page(inode, index);
        return p != null && p.state == State.DIRTY;
    }

    public synchronized boolean isCached(long inode, long index) {
        return page(inode, index) != null;
    }

    /** Adds a page read from disk, unless one is cached already. */
    public synchronized void putClean(long inode, long index, byte[] data, int from) {
        if (page(inode, index) != null) {
            return;
        }
        byte[] copy = newPageData();
        System.arraycopy(data, from, copy, 0, blockSize);
        Page p = new Page(copy, State.CLEAN, inode, index);
        insert(p);
        clean.append(p);
        evict(0);
    }

    private void insert(Page p) {
        fileForUpdate(p.inode).all.put(p.index, p);
        p.cached = true;
        cachedPages++;
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
        Page p = page(inode, index);
        if (p == null) {
            byte[] data = newPageData();
            if (base != null) {
                System.arraycopy(base, 0, data, 0, blockSize);
            } else if (from > 0 || length < blockSize) {
                Arrays.fill(data, (byte) 0); // a recycled array holds an old page
            }
            p = new Page(data, State.CLEAN, inode, index);
            insert(p);
        } else if (p.chained) {
            clean.remove(p); // dirty from now on: not evictable
        }
        // A WRITEBACK page's content was captured when its commit began: writing over it
        // is safe, it only needs to be written again.
        src.get(at, p.data, from, length);
        return dirtied(p, reserve);
    }

    /**
     * Copies a whole block of {@code src} from its absolute index {@code at} into the page
     * and makes it dirty, as {@link #write} does, when {@code src} may fault: a caller's
     * direct memory, which the JDK's copies turn into an {@link InternalError} (see
     * {@code CallerBuffer}). The block is copied into a free array first, so a fault
     * leaves the cache as it was and is thrown; the array becomes the page when the
     * block was not cached, the one copy of the caller's bytes the cache makes.
     *
     * @return true when the page was not dirty before
     * @throws InternalError when reading {@code src} faults; nothing changed
     */
    public synchronized boolean writeBlock(long inode, long index, ByteBuffer src, int at, boolean reserve) {
        byte[] data = newPageData();
        try {
            src.get(at, data, 0, blockSize);
        } catch (InternalError e) {
            spare.push(data);
            throw e;
        }
        Page p = page(inode, index);
        if (p == null) {
            p = new Page(data, State.CLEAN, inode, index);
            insert(p);
        } else {
            System.arraycopy(data, 0, p.data, 0, blockSize);
            spare.push(data);
            if (p.chained) {
                clean.remove(p);
            }
        }
        return dirtied(p, reserve);
    }

    private boolean dirtied(Page p, boolean reserve) {
        boolean newlyDirty = p.state != State.DIRTY;
        if (newlyDirty) {
            p.state = State.DIRTY;
            p.reserved = reserve;
            fileForUpdate(p.inode).dirty.put(p.index, p);
            dirtyPages++;
        }
        evict(0);
        return newlyDirty;
    }

    /** Pages of one file holding a reservation: data accepted whose blocks are not allocated yet. */
    public synchronized long reservedPagesOf(long inode) {
        FilePages f = file(inode);
        if (f == null) {
            return 0;
        }
        long[] n = new long[1];
        f.dirty.visit(0, Long.MAX_VALUE, (i, p) -> {
            if (p.reserved) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** Dirty pages of one file. */
    public synchronized long dirtyPagesOf(long inode) {
        FilePages f = file(inode);
        return f == null ? 0 : f.dirty.size();
    }

    /** Dirty pages of one file with index in {@code [from, to)}. */
    public synchronized long dirtyPagesOf(long inode, long from, long to) {
        FilePages f = file(inode);
        return f == null ? 0 : f.dirty.count(from, to);
    }

    /**
     * Whether a page of one file in {@code [from, to)} is dirty or in writeback: data a
     * commit or writeback may still write to the device, which a direct write over the
     * range must wait for.
     */
    public synchronized boolean unwrittenIn(long inode, long from, long to) {
        FilePages f = file(inode);
        if (f == null) {
            return false;
        }
        if (f.dirty.count(from, to) > 0) {
            return true;
        }
        boolean[] found = new boolean[1];
        f.all.visit(from, to, (i, p) -> found[0] |= p.state == State.WRITEBACK);
        return found[0];
    }

    /**
     * Hands every dirty page to a commit, file by file in inode order: they become
     * WRITEBACK. The pages' data must be copied while the caller holds the tree lock;
     * {@link #written} ends the state.
     */
    public synchronized List<FileDirty> takeDirty() {
        List<Long> inodes = new ArrayList<>();
        files.forEach((inode, f) -> {
            if (!f.dirty.isEmpty()) {
                inodes.add(inode);
            }
        });
        inodes.sort(Comparator.naturalOrder());
        List<FileDirty> taken = new ArrayList<>(inodes.size());
        for (long inode : inodes) {
            taken.add(take(inode, files.get(inode), 0, Long.MAX_VALUE));
        }
        return taken;
    }

    /**
     * As {@link #takeDirty()}, for the dirty pages of one file with index in
     * {@code [from, to)} only: a range written back before it is cloned or deduped.
     */
    public synchronized List<FileDirty> takeDirty(long inode, long from, long to) {
        FilePages f = file(inode);
        if (f == null || f.dirty.count(from, to) == 0) {
            return List.of();
        }
        return List.of(take(inode, f, from, to));
    }

    /** Moves one file's dirty pages in {@code [from, to)} to WRITEBACK. */
    private FileDirty take(long inode, FilePages f, long from, long to) {
        int n = (int) f.dirty.count(from, to);
        long[] indexes = new long[n];
        Page[] pages = new Page[n];
        int[] k = new int[1];
        f.dirty.visit(from, to, (i, p) -> {
            indexes[k[0]] = i;
            pages[k[0]++] = p;
        });
        for (int j = 0; j < n; j++) {
            f.dirty.remove(indexes[j]);
            pages[j].state = State.WRITEBACK;
        }
        dirtyPages -= n;
        forgetFileIfEmpty(inode, f);
        return new FileDirty(inode, indexes, pages);
    }

    /** The pages' writes are done: those not dirtied again since are clean. */
    public synchronized void written(List<FileDirty> pagesWritten) {
        for (FileDirty file : pagesWritten) {
            for (Page p : file.pages()) {
                if (p.state == State.WRITEBACK) {
                    p.state = State.CLEAN;
                    if (p.cached) {
                        clean.append(p);
                    }
                }
            }
        }
        evict(0);
    }

    /**
     * As {@link #written}, for pages a sequential writer left behind it: those that are
     * clean now leave the cache and their arrays serve the next pages (drop-behind).
     */
    public synchronized void writtenBehind(List<FileDirty> pagesWritten) {
        for (FileDirty file : pagesWritten) {
            FilePages f = file(file.inode());
            for (Page p : file.pages()) {
                if (p.state != State.WRITEBACK) {
                    continue; // written again since: dirty, and stays
                }
                p.state = State.CLEAN;
                if (p.cached && f != null) {
                    f.all.remove(p.index);
                    p.cached = false;
                    cachedPages--;
                    spare.push(p.data); // the commit's list is the only other holder, and it is done
                }
            }
            if (f != null) {
                forgetFileIfEmpty(file.inode(), f);
            }
        }
    }

    /**
     * Forgets the inode's pages with index in {@code [from, to)}; returns how many of them
     * were dirty and reserved (their reservations are to be given back).
     */
    public synchronized long drop(long inode, long from, long to) {
        FilePages f = file(inode);
        if (f == null) {
            return 0;
        }
        List<Page> range = new ArrayList<>();
        f.all.visit(from, to, (i, p) -> range.add(p));
        long droppedReserved = 0;
        for (Page p : range) {
            if (p.state == State.DIRTY) {
                f.dirty.remove(p.index);
                dirtyPages--;
                if (p.reserved) {
                    droppedReserved++;
                }
            }
            // A WRITEBACK page leaves the tree but stays alive in its commit's list.
            f.all.remove(p.index);
            p.cached = false;
            cachedPages--;
            if (p.chained) {
                clean.remove(p);
            }
        }
        forgetFileIfEmpty(inode, f);
        return droppedReserved;
    }

    /** An array for a new page: an evicted page's (old content) or a new one (zeros). */
    private byte[] newPageData() {
        if (cachedPages >= maxPages) {
            evict(1);
        }
        byte[] data = spare.poll();
        return data != null ? data : new byte[blockSize];
    }

    /** Evicts least recently used clean pages until {@code room} more fit. */
    private void evict(int room) {
        long excess = cachedPages + room - maxPages;
        while (excess > 0 && clean.oldest() != null) {
            Page victim = clean.oldest();
            clean.remove(victim);
            FilePages f = file(victim.inode);
            f.all.remove(victim.index);
            victim.cached = false;
            cachedPages--;
            forgetFileIfEmpty(victim.inode, f);
            // A clean page in the cache is referenced by nothing else (copies go in and out
            // under this monitor; a commit lets go of its pages when they become clean).
            spare.push(victim.data);
            excess--;
        }
    }

    // ------------------------------------------------------------------ the read path's queries

    /**
     * Copies {@code length} bytes from byte {@code from} of page {@code index} on into
     * {@code dst} (relative put), page after page while they are cached; answers the
     * bytes copied (short at the first page not cached).
     */
    public synchronized int copyOut(long inode, long index, int from, ByteBuffer dst, int length) {
        int done = 0;
        for (long i = index; done < length; i++, from = 0) {
            Page p = page(inode, i);
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
        FilePages f = files.get(inode);
        return f == null ? to : f.all.next(from, to);
    }
}
