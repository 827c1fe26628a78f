package org.cowstack.storage.cow.cache;

import java.nio.ByteBuffer;
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
 * <p>Single copy: pages are held by physical block ({@link PhysicalPages}), and each
 * file block read links to the page of the physical block it maps. N reflinked or
 * deduped copies of a file occupy the cache once; a read of a file block not linked yet
 * whose physical block is cached {@linkplain #link links} it and is served from memory.
 * Per-file arrays indexed by block hold the links (a slot and its stamp, one long), not
 * one object per page: a cache of a million pages costs the garbage collector a few
 * hundred objects. Eviction is CLOCK over the physical pages.
 *
 * <p>It stays equal to the files because it listens to the volume's change hook: a
 * file's content change, resize, remap or removal forgets that file's links (the pages
 * stay for the other files that map them); a physical block rewritten in place or freed
 * forgets its page, for every file at once. A read that fills the cache takes
 * {@link #version} and {@link #physVersion} before it reads the device, and
 * {@link #insert} links only if no change to the file was reported in between, and
 * caches a page only if its physical block was not rewritten or freed in between.
 *
 * <p>Mapped views {@linkplain #pin pin} pages: a pinned page is never evicted, and its
 * memory stays until its last {@linkplain #unpin unpin} even if its block is forgotten.
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
    private final PhysicalPages pages;
    /** Per file: chunks of {@link PhysicalPages#entry entries} by file block (0: none). */
    private final Map<Long, long[][]> files = new HashMap<>();
    private final long[] versions = new long[STRIPES];
    /** Per streamed file: blocks {@code [from, to)} its stream has read, which go first when the cache is full. */
    private final Map<Long, long[]> behind = new HashMap<>();

    public ReadCache(int blockSize, long maxBytes) {
        this.blockSize = blockSize;
        this.pages = new PhysicalPages(blockSize, Math.max(1, SLAB_BYTES / blockSize - 1),
                Math.max(1, maxBytes / blockSize));
    }

    // ------------------------------------------------------------------ reads

    /** The change count of the file's stripe: taken before a read that may {@link #insert} or {@link #link}. */
    public synchronized long version(long inode) {
        return versions[stripe(inode)];
    }

    /**
     * The count of physical changes (blocks rewritten in place or freed): taken before a
     * read of {@code physical} from the device whose content may be {@link #insert
     * inserted} or {@link #insertPhysical inserted by physical block}.
     */
    public synchronized long physVersion(long physical) {
        return pages.version();
    }

    /**
     * Copies {@code length} bytes from byte {@code from} of page {@code index} on into
     * {@code dst} (relative put), page after page while they are cached; answers the
     * bytes copied (short at the first page not cached).
     */
    public synchronized int copyOut(long inode, long index, int from, ByteBuffer dst, int length) {
        long[][] chunks = files.get(inode);
        if (chunks == null) {
            return 0;
        }
        int slabPages = pages.slabPages();
        int done = 0;
        for (long i = index; done < length; from = 0) {
            int slot = slot(chunks, i);
            if (slot < 0) {
                break;
            }
            // the run of pages in consecutive slots of one slab, up to what is wanted: one copy
            int first = slot % slabPages;
            long wanted = ((long) from + length - done + blockSize - 1) / blockSize;
            int run = 1;
            pages.touch(slot);
            while (run < wanted && first + run < slabPages && slot(chunks, i + run) == slot + run) {
                pages.touch(slot + run);
                run++;
            }
            int n = (int) Math.min((long) run * blockSize - from, length - done);
            pages.copy(slot, from, dst, n);
            done += n;
            i += run;
        }
        return done;
    }

    /** The first block of the file in {@code [from, to)} that is not cached, or {@code to}. */
    public synchronized long missingFrom(long inode, long from, long to) {
        long[][] chunks = files.get(inode);
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
        long[][] chunks = files.get(inode);
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
        long[][] chunks = files.get(inode);
        return chunks != null && slot(chunks, index) >= 0;
    }

    /** Whether the page of physical block {@code physical} is cached. */
    public synchronized boolean containsPhysical(long physical) {
        return pages.find(physical) >= 0;
    }

    /**
     * File blocks {@code [index, index + count)} map physical blocks {@code [physical,
     * physical + count)}: links those whose pages are cached, from the first on, up to the
     * first that is not; answers how many are linked (0 if the file changed since
     * {@code version} was taken). A block linked already counts.
     */
    public synchronized int link(long inode, long index, long physical, int count, long version) {
        if (versions[stripe(inode)] != version) {
            return 0;
        }
        int k = 0;
        for (; k < count; k++) {
            int slot = pages.find(physical + k);
            if (slot < 0) {
                break;
            }
            linkTo(inode, index + k, slot);
        }
        return k;
    }

    /**
     * Adds {@code count} verified pages ({@code src} from its absolute index {@code at})
     * of the file from block {@code index}, which maps physical blocks from
     * {@code physical} on. Pages are cached by physical block unless that block was
     * rewritten or freed since {@code physVersion} was taken (one cached already stays
     * as it is); the file's blocks are linked to them unless the file changed since
     * {@code version} was taken.
     */
    public synchronized void insert(long inode, long index, long physical, int count, ByteBuffer src, int at,
            long version, long physVersion) {
        boolean linking = versions[stripe(inode)] == version;
        long[][] chunks = files.get(inode);
        for (int k = 0; k < count; k++) {
            if (linking && chunks != null && slot(chunks, index + k) >= 0) {
                continue;
            }
            long p = physical + k;
            if (pages.find(p) < 0 && pages.full() && linking) {
                dropOwnBehind(inode);
            }
            int slot = pages.fill(p, src, at + k * blockSize, physVersion);
            if (slot < 0) {
                if (pages.changedSince(p, physVersion)) {
                    continue;
                }
                return; // no room: everything is pinned
            }
            if (linking) {
                chunks = linkTo(inode, index + k, slot);
            }
        }
    }

    /**
     * Caches one verified page of physical block {@code physical}: {@code page}'s bytes
     * from its position on (the buffer is not moved), for a caller that read and verified
     * that block itself after taking {@link #physVersion}. No file links to it yet.
     * Answers whether the block is cached now (false: it was rewritten or freed since
     * {@code physVersion}, or no page could be freed).
     */
    public synchronized boolean insertPhysical(long physical, ByteBuffer page, long physVersion) {
        if (page.remaining() < blockSize) {
            throw new IllegalArgumentException(page.remaining() + " bytes, not a page of " + blockSize);
        }
        return pages.fill(physical, page, page.position(), physVersion) >= 0;
    }

    /**
     * Drop-behind: when {@code n} more pages do not fit without evicting others, the
     * file's links in {@code [from, to)} (pages a stream has read already) go first,
     * lowest first, and with them the pages no other file links, until {@code n} pages
     * are free. Answers the block before which nothing is left to drop.
     */
    public synchronized long dropBehind(long inode, long from, long to, int n) {
        long[] window = behind.get(inode);
        if (window == null || from < window[0] || from > window[1]) {
            behind.put(inode, new long[] {from, to});
        } else {
            window[1] = Math.max(window[1], to);
        }
        long need = n - pages.room();
        long[][] chunks = files.get(inode);
        long b = from;
        for (; chunks != null && b < to && need > 0; b++) {
            if (unlinkAndFree(chunks, b)) {
                need--;
            }
        }
        return need > 0 || chunks == null ? to : b;
    }

    // ------------------------------------------------------------------ pins

    /**
     * Pins the page of {@code physical} for a mapped view: answers a read-only buffer of
     * exactly its bytes in the cache's memory (position 0, limit the block size), or null
     * if the block is not cached. A pinned page is never evicted; if its block is
     * forgotten (rewritten, freed) while pinned, it leaves the cache but its memory is kept
     * until the last {@link #unpin}. Each pin needs one unpin with the buffer it answered.
     */
    public synchronized ByteBuffer pin(long physical) {
        return pages.pin(physical);
    }

    /**
     * Releases the pin that answered {@code view} (the very buffer {@link #pin} returned;
     * {@code physical} is the block it was pinned for). A view unpinned already, or pinned
     * before the cache was {@linkplain #close closed}, is ignored.
     */
    public synchronized void unpin(long physical, ByteBuffer view) {
        pages.unpin(view);
    }

    // ------------------------------------------------------------------ size

    /** Bytes of pages held (each physical block once, pinned ones included). */
    public synchronized long cachedBytes() {
        return pages.cachedBytes();
    }

    /** Bytes of pages that more than one file block links: what single copy saves, per extra link. */
    public synchronized long sharedBytes() {
        return pages.sharedBytes();
    }

    /** Bytes of pages pinned by mapped views. */
    public synchronized long pinnedBytes() {
        return pages.pinnedBytes();
    }

    public synchronized long maxBytes() {
        return pages.maxBytes();
    }

    /** Changes the size limit: a smaller one evicts at once and gives back the slabs above it. */
    public synchronized void maxBytes(long bytes) {
        pages.maxPages(Math.max(1, bytes / blockSize));
    }

    /** The volume is unmounted: the slabs go back to {@link Slabs} for the next volume, and nothing is cached. */
    public synchronized void close() {
        pages.close();
        files.clear();
        behind.clear();
        for (int s = 0; s < STRIPES; s++) {
            versions[s]++; // nothing read before this is linked after it
        }
    }

    // ------------------------------------------------------------------ the change hook

    /** Forgets the file's links in {@code [from, to)}; the pages stay for other files. */
    public synchronized void invalidate(long inode, long from, long to) {
        versions[stripe(inode)]++;
        long[][] chunks = files.get(inode);
        if (chunks == null) {
            return;
        }
        long end = Math.min(to, (long) chunks.length << CHUNK_SHIFT);
        for (long b = Math.max(0, from); b < end; b++) {
            long[] chunk = chunks[(int) (b >>> CHUNK_SHIFT)];
            if (chunk == null) {
                b |= CHUNK - 1; // the whole chunk is empty
                continue;
            }
            int i = (int) (b & (CHUNK - 1));
            int slot = pages.slotOf(chunk[i]);
            if (slot >= 0) {
                pages.unlink(slot);
            }
            chunk[i] = 0;
        }
        if (from <= 0 && to == Long.MAX_VALUE) {
            files.remove(inode);
            behind.remove(inode);
        }
    }

    /** Forgets every page and every file's links (drop caches): the next reads read the device. */
    public synchronized void clear() {
        pages.forgetAll();
        files.clear();
        behind.clear();
        for (int s = 0; s < STRIPES; s++) {
            versions[s]++;
        }
    }

    /** Forgets the pages of physical blocks {@code [physical, physical + blocks)}, for every file. */
    public synchronized void invalidatePhysical(long physical, long blocks) {
        pages.forget(physical, blocks);
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
    public void rewritten(long physical, long blocks) {
        invalidatePhysical(physical, blocks);
    }

    @Override
    public void freed(long physical, long blocks) {
        invalidatePhysical(physical, blocks);
    }

    @Override
    public void removed(long inode) {
        invalidate(inode, 0, Long.MAX_VALUE);
    }

    // ------------------------------------------------------------------ links

    private static int stripe(long inode) {
        return (int) (inode & (STRIPES - 1));
    }

    /** The slot of the file's page {@code index} if its link is still good, else -1. */
    private int slot(long[][] chunks, long index) {
        long c = index >>> CHUNK_SHIFT;
        if (c >= chunks.length) {
            return -1;
        }
        long[] chunk = chunks[(int) c];
        return chunk == null ? -1 : pages.slotOf(chunk[(int) (index & (CHUNK - 1))]);
    }

    /** Links the file's page {@code index} to the page in {@code slot}; answers the file's chunks (grown if need be). */
    private long[][] linkTo(long inode, long index, int slot) {
        long[][] chunks = files.get(inode);
        int c = (int) (index >>> CHUNK_SHIFT);
        if (chunks == null || c >= chunks.length) {
            long[][] grown = new long[Math.max(c + 1, chunks == null ? 8 : chunks.length * 2)][];
            if (chunks != null) {
                System.arraycopy(chunks, 0, grown, 0, chunks.length);
            }
            chunks = grown;
            files.put(inode, chunks);
        }
        if (chunks[c] == null) {
            chunks[c] = new long[CHUNK];
        }
        int i = (int) (index & (CHUNK - 1));
        int old = pages.slotOf(chunks[c][i]);
        if (old == slot) {
            return chunks;
        }
        if (old >= 0) {
            pages.unlink(old);
        }
        chunks[c][i] = pages.entry(slot);
        pages.link(slot);
        return chunks;
    }

    /**
     * Unlinks the file's page {@code index}; frees the page if no other file block links
     * it and nothing pins it. Answers whether a page was freed.
     */
    private boolean unlinkAndFree(long[][] chunks, long index) {
        long c = index >>> CHUNK_SHIFT;
        if (c >= chunks.length || chunks[(int) c] == null) {
            return false;
        }
        long[] chunk = chunks[(int) c];
        int i = (int) (index & (CHUNK - 1));
        int slot = pages.slotOf(chunk[i]);
        chunk[i] = 0;
        if (slot < 0 || pages.unlink(slot) > 0 || pages.pinned(slot)) {
            return false;
        }
        pages.release(slot);
        return true;
    }

    /**
     * A full cache's room for a page of a streamed file: the lowest page of it its stream
     * has read already (told by {@link #dropBehind}) that no other file links, released.
     * Done in the insert itself, so that read-ahead on other threads cannot take the room
     * a stream made and push other files' pages out instead.
     */
    private void dropOwnBehind(long inode) {
        long[] window = behind.get(inode);
        long[][] chunks = files.get(inode);
        if (window == null || chunks == null) {
            return;
        }
        while (window[0] < window[1]) {
            if (unlinkAndFree(chunks, window[0]++)) {
                return;
            }
        }
    }
}
