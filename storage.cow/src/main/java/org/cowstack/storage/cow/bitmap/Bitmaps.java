package org.cowstack.storage.cow.bitmap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.bitmap.BitmapException;
import org.cowstack.storage.api.bitmap.BitmapInfo;
import org.cowstack.storage.api.bitmap.BitmapMode;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.cow.core.CommitParticipant;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.BitmapItem;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.io.Committer;
import org.cowstack.storage.cow.meta.ChangeListener;

/**
 * The dirty bitmaps of a volume's files, with qemu's states and rules (DESIGN P5).
 *
 * <p><b>Recording.</b> A listener on the change hook: every change of a file's content
 * (writes of every kind, punch, zero, truncate, a clone into it) and growth sets the
 * granules it touches in the file's recording, consistent bitmaps. No state ever refuses
 * or delays a write: a disabled or inconsistent bitmap simply ignores it.
 *
 * <p><b>Persistence.</b> A commit participant. A transactional bitmap's changed chunks
 * are stored by every commit, in the transaction of the data they describe, so after a
 * crash it is exactly right for the state the volume mounts at. A qemu-mode bitmap's
 * bits are stored only when the volume stops being writable (unmount, remount read-only);
 * while it is writable the superblock carries the in-use flag, and a volume mounted with
 * that flag set was not shut down cleanly: its qemu-mode bitmaps load inconsistent.
 *
 * <p>Guarded by its own monitor, taken after the tree lock (a commit stores with the
 * tree lock held), never before it.
 */
public final class Bitmaps implements ChangeListener, CommitParticipant {
    private final VolumeCore core;
    private final Committer committer;
    private final BitmapStore store;
    /** Inode to its bitmaps by name, in the order they were added. */
    private final Map<Long, Map<String, DirtyBitmap>> byInode = new HashMap<>();
    /** Stored bitmaps removed since the last commit: {inode, id}. */
    private final List<long[]> deleted = new ArrayList<>();
    private long nextId = 1;
    /** The volume is stopping being writable: the next commit stores qemu-mode bits too. */
    private boolean storeQemuBits;

    public Bitmaps(VolumeCore core, Committer committer) {
        this.core = core;
        this.committer = committer;
        this.store = new BitmapStore(core.trees);
        core.changes.add(this);
        core.participants.add(this);
    }

    // ------------------------------------------------------------------ life cycle

    /**
     * Loads the stored bitmaps (at mount). When the superblock says qemu-mode bitmaps
     * were in use, the volume was not shut down cleanly: those load inconsistent.
     */
    public void load() throws IOException {
        BitmapStore.Loaded loaded = core.treeLock.reading(store::load);
        boolean crashed = (core.committed().compat & Superblock.COMPAT_BITMAPS_IN_USE) != 0;
        synchronized (this) {
            for (DirtyBitmap b : loaded.bitmaps()) {
                if (crashed && b.mode() == BitmapMode.QEMU) {
                    b.flags(BitmapItem.INCONSISTENT, 0);
                }
                byInode.computeIfAbsent(b.inode, i -> new LinkedHashMap<>()).put(b.name(), b);
            }
            nextId = loaded.maxId() + 1;
        }
    }

    private synchronized boolean anyQemuInUse() {
        for (Map<String, DirtyBitmap> m : byInode.values()) {
            for (DirtyBitmap b : m.values()) {
                if (b.persistent && b.mode() == BitmapMode.QEMU && !b.inconsistent()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The volume becomes writable (a mount or a remount read-write): qemu-mode bitmaps go
     * in use, on disk before anything is written. When the flag cannot be written, nothing
     * changed (the previous superblock is intact) and the caller keeps the volume read-only.
     */
    public void writable() throws IOException {
        synchronized (this) {
            storeQemuBits = false;
        }
        if (!anyQemuInUse() || (core.compat() & Superblock.COMPAT_BITMAPS_IN_USE) != 0) {
            return;
        }
        core.compat(Superblock.COMPAT_BITMAPS_IN_USE, true);
        try {
            committer.commitFeatures();
        } catch (IOException | RuntimeException e) {
            core.compat(Superblock.COMPAT_BITMAPS_IN_USE, false);
            throw new StorageException("volume " + core.name + ": the in-use flag of its qemu-mode bitmaps could not "
                    + "be written (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "); it stays read-only and nothing changed", e);
        }
    }

    /**
     * The volume stops being writable (an unmount, a remount read-only): the commit that
     * follows stores the qemu-mode bitmaps' bits and clears the in-use flag.
     */
    public synchronized void stopping() {
        storeQemuBits = true;
        core.compat(Superblock.COMPAT_BITMAPS_IN_USE, false);
    }

    @Override
    public synchronized boolean pending() {
        if (!deleted.isEmpty()) {
            return true;
        }
        for (Map<String, DirtyBitmap> m : byInode.values()) {
            for (DirtyBitmap b : m.values()) {
                if (b.persistent && (b.itemChanged
                        || (b.transactional() || storeQemuBits) && b.bits.hasChanged())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Tree lock held exclusively: stores what changed, in this transaction. */
    @Override
    public synchronized void beforeCommit() throws IOException {
        for (long[] d : deleted) {
            store.delete(d[0], d[1]);
        }
        deleted.clear();
        for (Map<String, DirtyBitmap> m : byInode.values()) {
            for (DirtyBitmap b : m.values()) {
                if (b.persistent) {
                    store.store(b, b.transactional() || storeQemuBits);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the change hook

    @Override
    public synchronized void contentChanged(long inode, long offset, long length) {
        Map<String, DirtyBitmap> m = byInode.get(inode);
        if (m != null) {
            for (DirtyBitmap b : m.values()) {
                b.mark(offset, length);
            }
        }
    }

    /** A recording transactional bitmap's bits are committed with the data: see {@link ChangeListener}. */
    @Override
    public synchronized boolean needsWritesInTransactions(long inode) {
        Map<String, DirtyBitmap> m = byInode.get(inode);
        if (m != null) {
            for (DirtyBitmap b : m.values()) {
                if (b.transactional() && b.recording()) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public synchronized void resized(long inode, long oldSize, long newSize) {
        Map<String, DirtyBitmap> m = byInode.get(inode);
        if (m != null && newSize > oldSize) {
            for (DirtyBitmap b : m.values()) {
                b.mark(oldSize, newSize - oldSize); // bytes that did not exist read as zeros now
            }
        }
    }

    @Override
    public synchronized void removed(long inode) {
        Map<String, DirtyBitmap> m = byInode.remove(inode);
        if (m != null) {
            for (DirtyBitmap b : m.values()) {
                if (b.persistent) {
                    deleted.add(new long[] {inode, b.item.id()});
                }
            }
        }
    }

    // ------------------------------------------------------------------ operations, with qemu's refusals

    private DirtyBitmap find(long inode, String name) throws BitmapException {
        Map<String, DirtyBitmap> m = byInode.get(inode);
        DirtyBitmap b = m == null ? null : m.get(name);
        if (b == null) {
            throw BitmapException.notFound(name);
        }
        return b;
    }

    /** The checks of qemu's table, in its order: busy, read-only, inconsistent. */
    private void check(DirtyBitmap b, boolean refusedIfReadOnly, boolean refusedIfInconsistent)
            throws BitmapException {
        if (b.busy) {
            throw BitmapException.busy(b.name());
        }
        if (refusedIfReadOnly && core.readOnly()) {
            throw BitmapException.readOnly(b.name());
        }
        if (refusedIfInconsistent && b.inconsistent()) {
            throw BitmapException.inconsistent(b.name());
        }
    }

    /** Adds a bitmap to file {@code inode}. */
    public BitmapInfo add(long inode, String name, BitmapOptions options) throws IOException {
        if (name == null || name.isEmpty()) {
            throw new BitmapException(BitmapException.Reason.INVALID, "Bitmap name cannot be empty", null);
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > BitmapItem.MAX_NAME) {
            throw new BitmapException(BitmapException.Reason.INVALID, "Name length exceeds maximum (1023 characters)", null);
        }
        long g = options.granularity();
        if (g < BitmapOptions.MIN_GRANULARITY || g > BitmapOptions.MAX_GRANULARITY || Long.bitCount(g) != 1) {
            throw new BitmapException(BitmapException.Reason.INVALID,
                    "Granularity must be power of 2 and at least 512", null);
        }
        if (options.persistent() && core.readOnly()) {
            throw new BitmapException(BitmapException.Reason.READ_ONLY, "Cannot store persistent bitmap '" + name
                    + "': volume " + core.name + " is read-only", null);
        }
        BitmapInfo info;
        boolean qemu = options.persistent() && options.mode() == BitmapMode.QEMU;
        synchronized (this) {
            Map<String, DirtyBitmap> m = byInode.computeIfAbsent(inode, i -> new LinkedHashMap<>());
            if (m.containsKey(name)) {
                throw new BitmapException(BitmapException.Reason.EXISTS, "Bitmap already exists: " + name, null);
            }
            int flags = (options.recording() ? BitmapItem.RECORDING : 0) | (qemu ? BitmapItem.QEMU : 0);
            DirtyBitmap b = new DirtyBitmap(inode, new BitmapItem(nextId++, name,
                    Long.numberOfTrailingZeros(g), flags), options.persistent());
            b.itemChanged = true;
            m.put(name, b);
            info = b.info(core.readOnly());
        }
        if (qemu) {
            writable(); // its in-use flag is on disk before it records anything
        }
        return info;
    }

    public synchronized void remove(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        check(b, true, false);
        byInode.get(inode).remove(name);
        if (b.persistent) {
            deleted.add(new long[] {inode, b.item.id()});
        }
    }

    public synchronized void clear(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        check(b, true, true);
        b.bits.clear();
    }

    public synchronized void enable(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        check(b, false, true);
        b.flags(BitmapItem.RECORDING, 0);
    }

    public synchronized void disable(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        check(b, false, true);
        b.flags(0, BitmapItem.RECORDING);
    }

    public synchronized void merge(long inode, String source, String target) throws IOException {
        DirtyBitmap to = find(inode, target);
        DirtyBitmap from = find(inode, source);
        check(to, true, true);
        check(from, false, true);
        if (from.granularity() != to.granularity()) {
            throw new BitmapException(BitmapException.Reason.INVALID, "Bitmaps are incompatible and can't be merged"
                    + " (granularity " + from.granularity() + " of '" + source + "', " + to.granularity() + " of '"
                    + target + "')", null);
        }
        to.bits.or(from.bits);
    }

    public synchronized List<BitmapInfo> list(long inode) {
        List<BitmapInfo> out = new ArrayList<>();
        Map<String, DirtyBitmap> m = byInode.get(inode);
        if (m != null) {
            for (DirtyBitmap b : m.values()) {
                out.add(b.info(core.readOnly()));
            }
        }
        out.sort(Comparator.comparing(BitmapInfo::name));
        return out;
    }

    public synchronized List<DirtyRange> dump(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        return b.ranges(b.bits, -1);
    }

    /**
     * Marks the bitmap busy for an export, refused as a backup source would be; answers
     * what ends the hold (harmless when the bitmap is gone by then).
     */
    public synchronized Runnable hold(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        check(b, false, true);
        b.busy = true;
        return () -> release(b);
    }

    private synchronized void release(DirtyBitmap b) {
        b.busy = false;
    }

    // ------------------------------------------------------------------ backups (see BackupSession)

    /** The bitmap a backup starts from: refused if busy or inconsistent (read-only is fine). Marks nothing yet. */
    synchronized DirtyBitmap forBackup(long inode, String name) throws IOException {
        DirtyBitmap b = find(inode, name);
        check(b, false, true);
        return b;
    }

    /** Freezes {@code b} for a backup: busy, recording into a successor; answers its bits as they are now. */
    synchronized DirtyBits freeze(DirtyBitmap b) throws BitmapException {
        check(b, false, true); // it may have changed between forBackup and now
        b.busy = true;
        b.successor = new DirtyBits();
        return b.bits.copy();
    }

    /**
     * Ends a backup from {@code b}: it holds what qemu's rule for {@code mode} says, and
     * is free again. It recorded every write all along, so keeping its bits is the rule
     * for a failure ({@code on-success}) and for {@code never}.
     *
     * @param frozen its bits when the backup started
     * @param copied the granules the backup copied
     */
    synchronized void thaw(DirtyBitmap b, BitmapSync mode, boolean succeeded, DirtyBits frozen, DirtyBits copied) {
        if (mode == BitmapSync.ON_SUCCESS && succeeded) {
            b.bits.assign(b.successor);
        } else if (mode == BitmapSync.ALWAYS) {
            DirtyBits left = frozen.copy();
            left.andNot(copied);
            left.or(b.successor);
            b.bits.assign(left);
        }
        b.busy = false;
        b.successor = null;
    }

    /** The granules as byte ranges of a bitmap, clipped to {@code size}. */
    synchronized List<DirtyRange> ranges(DirtyBitmap b, DirtyBits bits, long size) {
        return b.ranges(bits, size);
    }
}
