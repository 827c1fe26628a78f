package org.cowstack.storage.cow.map;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.cow.cache.ReadCache;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.io.Committer;
import org.cowstack.storage.cow.io.DirectWriter;
import org.cowstack.storage.cow.io.ReadPath;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.meta.ChangeListener;

/**
 * The live views of a volume's file mappings, found by file block and by physical
 * block, and invalidated by the change hook exactly where a change lands: a write, a
 * truncate, a punch, a clone or dedupe over a file's blocks, a copy-on-write of them,
 * an in-place rewrite or free of physical blocks, a media error the device reports.
 *
 * <p>A view is registered only if no change reached its file blocks or its physical
 * blocks since the log's mark taken before its blocks were looked up ({@link #register}),
 * so a view is never made of a block that changed under its making.
 * Events come with engine locks held: this marks and unpins, nothing else.
 */
public final class Mappings implements ChangeListener {
    private static final int LOG = 4096;

    final VolumeCore core;
    final BlockIo io;
    final ReadPath reads;
    final DirectWriter direct;
    final Committer committer;
    private final int blockSize;
    private final ReadCache cache;
    /** Per file: views by their first file block. */
    private final Map<Long, NavigableMap<Long, List<View>>> byFile = new HashMap<>();
    /** Views of physical blocks (device memory or cache pages) by their first physical block. */
    private final NavigableMap<Long, List<View>> byPhysical = new TreeMap<>();
    private final Set<CowMapping> open = ConcurrentHashMap.newKeySet();
    /**
     * The changes of the last while, a ring of {@link #LOG} entries (a file's blocks, or
     * physical blocks with inode -1): a view is registered only if none of those logged
     * since its lookup reached its blocks, so writes elsewhere never make a view wait.
     */
    private final long[] logInode = new long[LOG];
    private final long[] logFrom = new long[LOG];
    private final long[] logTo = new long[LOG];
    /** Changes logged so far. */
    private long logged;
    /** The longest view registered, in blocks: how far back an overlap query looks. */
    private long longest = 1;
    private long live;

    public Mappings(VolumeCore core, BlockIo io, ReadPath reads, DirectWriter direct, Committer committer) {
        this.core = core;
        this.io = io;
        this.reads = reads;
        this.direct = direct;
        this.committer = committer;
        this.blockSize = core.blockSize;
        this.cache = core.readCache;
        core.changes.add(this);
    }

    /**
     * Maps {@code [offset, offset + length)} of file {@code inode}; the caller has checked
     * the arguments and, for {@link MapMode#READ_WRITE}, that the handle and volume may write.
     */
    public FileMapping map(long inode, String path, long offset, long length, MapMode mode) {
        CowMapping m = new CowMapping(this, inode, path, offset, length, mode, core.device.directAccess() != null);
        open.add(m);
        return m;
    }

    int blockSize() {
        return blockSize;
    }

    ReadCache cache() {
        return cache;
    }

    /** The open mappings now. */
    public int openMappings() {
        return open.size();
    }

    /** The valid views now. */
    public synchronized long liveViews() {
        return live;
    }

    /** Invalidates every view of every mapping and closes the mappings: an unmount. */
    public void closeAll(String why) {
        for (CowMapping m : List.copyOf(open)) {
            m.closeFor(why);
        }
    }

    void closed(CowMapping m) {
        open.remove(m);
    }

    // ------------------------------------------------------------------ registration

    /** Where the change log stands: taken before a view's blocks are looked up. */
    synchronized long mark() {
        return logged;
    }

    /**
     * Registers {@code v} unless its mapping is closed, a change logged since
     * {@code mark} reached its file blocks or physical blocks (or more changes came than
     * the log holds), or its mapping already keeps a valid view at that offset.
     */
    synchronized boolean register(View v, long mark) {
        long inode = v.mapping.inode();
        if (v.mapping.closedReason() != null || changedSince(v, inode, mark) || !v.mapping.adopt(v)) {
            return false;
        }
        byFile.computeIfAbsent(inode, k -> new TreeMap<>()).computeIfAbsent(v.firstBlock, k -> new ArrayList<>(1))
                .add(v);
        if (v.physical >= 0) {
            byPhysical.computeIfAbsent(v.physical, k -> new ArrayList<>(1)).add(v);
        }
        longest = Math.max(longest, v.endBlock - v.firstBlock);
        live++;
        return true;
    }

    private boolean changedSince(View v, long inode, long mark) {
        if (logged - mark > LOG) {
            return true; // the log wrapped: cannot tell
        }
        long physicalEnd = v.physical + (v.endBlock - v.firstBlock);
        for (long n = mark; n < logged; n++) {
            int i = (int) (n % LOG);
            boolean hit = logInode[i] < 0
                    ? v.physical >= 0 && logFrom[i] < physicalEnd && logTo[i] > v.physical
                    : logInode[i] == inode && logFrom[i] < v.endBlock && logTo[i] > v.firstBlock;
            if (hit) {
                return true;
            }
        }
        return false;
    }

    private void log(long inode, long from, long to) {
        int i = (int) (logged % LOG);
        logInode[i] = inode;
        logFrom[i] = from;
        logTo[i] = to;
        logged++;
    }

    /** Invalidates every view of a mapping being closed (its close reason is set: no view registers after). */
    synchronized void closeViews(CowMapping m, String why) {
        for (View v : m.keptViews()) {
            invalidate(v, why, null);
        }
    }

    /** Invalidates one view (closing its mapping, or its device replaced). */
    synchronized void invalidate(View v, String why, Throwable cause) {
        if (v.invalidate(why, cause)) {
            forget(v);
        }
    }

    private void forget(View v) {
        NavigableMap<Long, List<View>> views = byFile.get(v.mapping.inode());
        if (views != null) {
            remove(views, v.firstBlock, v);
            if (views.isEmpty()) {
                byFile.remove(v.mapping.inode());
            }
        }
        if (v.physical >= 0) {
            remove(byPhysical, v.physical, v);
        }
        if (v.pinned != null) {
            cache.unpin(v.physical, v.pinned);
        }
        live--;
        v.mapping.forget(v);
    }

    private static void remove(NavigableMap<Long, List<View>> index, long key, View v) {
        List<View> at = index.get(key);
        if (at != null && at.remove(v) && at.isEmpty()) {
            index.remove(key);
        }
    }

    // ------------------------------------------------------------------ the change hook

    /**
     * Without an open mapping there is no view and none being made (a mapping is open
     * before its first view is looked up, and every event comes after its change), so
     * an event costs one check: the write path does not take this monitor.
     */
    private boolean quiet() {
        return open.isEmpty();
    }

    private void file(long inode, long from, long to, String why) {
        if (!quiet()) {
            fileChanged(inode, from, to, why);
        }
    }

    private synchronized void fileChanged(long inode, long from, long to, String why) {
        log(inode, from, to);
        NavigableMap<Long, List<View>> views = byFile.get(inode);
        if (views == null) {
            return;
        }
        List<View> hit = new ArrayList<>();
        for (List<View> at : views.subMap(Math.max(0, from - longest), true, to, false).values()) {
            for (View v : at) {
                if (v.endBlock > from && v.firstBlock < to) {
                    hit.add(v);
                }
            }
        }
        for (View v : hit) {
            invalidate(v, why, null);
        }
    }

    private void physical(long first, long blocks, String why, Throwable cause) {
        if (!quiet()) {
            physicalChanged(first, blocks, why, cause);
        }
    }

    private synchronized void physicalChanged(long first, long blocks, String why, Throwable cause) {
        log(-1, first, first + blocks);
        long end = first + blocks;
        List<View> hit = new ArrayList<>();
        for (List<View> at : byPhysical.subMap(Math.max(0, first - longest), true, end, false).values()) {
            for (View v : at) {
                if (v.physical + (v.endBlock - v.firstBlock) > first && v.physical < end) {
                    hit.add(v);
                }
            }
        }
        for (View v : hit) {
            invalidate(v, why, cause);
        }
    }

    @Override
    public void contentChanged(long inode, long offset, long length) {
        file(inode, offset / blockSize, (offset + length + blockSize - 1) / blockSize, "its bytes were changed");
    }

    @Override
    public void resized(long inode, long oldSize, long newSize) {
        if (newSize < oldSize) { // growth leaves what views show (up to the old end) as it was
            file(inode, newSize / blockSize, Long.MAX_VALUE, "the file was truncated to " + newSize + " bytes");
        }
    }

    @Override
    public void mapped(long inode, long firstBlock, ExtentItem extent) {
        file(inode, firstBlock, firstBlock + extent.blocks(), "its blocks were remapped");
    }

    @Override
    public void unmapped(long inode, long firstBlock, ExtentItem extent) {
        file(inode, firstBlock, firstBlock + extent.blocks(), "its blocks were remapped");
    }

    @Override
    public void rewritten(long physical, long blocks) {
        physical(physical, blocks, "its blocks were rewritten in place", null);
    }

    @Override
    public void freed(long physical, long blocks) {
        physical(physical, blocks, "its blocks were freed", null);
    }

    @Override
    public void mediaError(long physical, long blocks) {
        physical(physical, blocks, "the device reported a media error in its blocks",
                new MediaErrorException("device", physical * blockSize, blocks * blockSize,
                        "reported by the device for blocks " + physical + "+" + blocks));
    }

    @Override
    public void removed(long inode) {
        file(inode, 0, Long.MAX_VALUE, "the file was deleted");
    }
}
