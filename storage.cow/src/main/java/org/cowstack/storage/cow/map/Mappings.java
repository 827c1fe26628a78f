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
 * <p>A view is registered only if no change reached its file or any physical block
 * since the versions taken before its blocks were looked up ({@link #register}), so a
 * view is never made of a block that changed under its making (the read cache's rule).
 * Events come with engine locks held: this marks and unpins, nothing else.
 */
public final class Mappings implements ChangeListener {
    private static final int STRIPES = 64;

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
    private final long[] versions = new long[STRIPES];
    private long physicalVersion;
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

    synchronized long version(long inode) {
        return versions[stripe(inode)];
    }

    synchronized long physicalVersion() {
        return physicalVersion;
    }

    /** Registers {@code v} unless its file or any physical block changed since the versions were taken. */
    synchronized boolean register(View v, long inode, long fileVersion, long physVersion) {
        if (versions[stripe(inode)] != fileVersion || physicalVersion != physVersion) {
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
        versions[stripe(inode)]++;
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
        physicalVersion++;
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

    private static int stripe(long inode) {
        return (int) (inode & (STRIPES - 1));
    }
}
