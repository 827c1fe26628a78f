package org.cowstack.storage.cow.map;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.InvalidViewException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.device.DirectAccess;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.api.volume.MappedView;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;

/**
 * A mapping of a byte range of one file. Views are made on demand and kept while they
 * are valid; each is the device's memory at the blocks' physical address ({@code dax:}),
 * a pinned page of the read cache (one page per physical block, whichever file reads
 * it), or zeros. Stores read the partial blocks at their edges and write whole blocks
 * as a direct write does, under the file's lock, so the copy-on-write fault, the space
 * check and the checksums are the engine's own.
 */
final class CowMapping implements FileMapping {
    /** A view shows at most this much: its blocks are verified when it is made. */
    static final int MAX_VIEW_BYTES = 8 << 20;
    /** A store is written in pieces of at most this much. */
    static final int MAX_STORE_BYTES = 4 << 20;
    /** Views a mapping keeps for reuse at most; the oldest goes first (as reclaim unmaps the oldest pages). */
    static final int MAX_KEPT_VIEWS = 4096;
    /** Cache pages a mapping keeps pinned at most, in bytes: its views never fill the cache. */
    static final long MAX_PINNED_BYTES = 64L << 20;
    /** Tries at making a view while its blocks keep changing under it. */
    private static final int ATTEMPTS = 32;

    private final Mappings registry;
    private final long inode;
    private final String path;
    private final long offset;
    private final long length;
    private final MapMode mode;
    private final boolean direct;
    private final int bs;
    /** Valid views by file offset, reused by {@link #view}. */
    private final ConcurrentSkipListMap<Long, View> views = new ConcurrentSkipListMap<>();
    /** Kept views, oldest first (invalid ones are skipped when they come up). */
    private final java.util.ArrayDeque<View> age = new java.util.ArrayDeque<>();
    private long pinnedBytes;
    private final ViewMaker maker;
    private volatile String closed;
    private volatile boolean stored;

    CowMapping(Mappings registry, long inode, String path, long offset, long length, MapMode mode, boolean direct) {
        this.registry = registry;
        this.inode = inode;
        this.path = path;
        this.offset = offset;
        this.length = length;
        this.mode = mode;
        this.direct = direct;
        this.bs = registry.blockSize();
        this.maker = new ViewMaker(this);
    }

    long inode() {
        return inode;
    }

    Mappings registry() {
        return registry;
    }

    long deviceEpoch() {
        return registry.core.bindings.deviceEpoch();
    }

    String closedReason() {
        return closed;
    }

    /** The views kept now (the registry's monitor held). */
    List<View> keptViews() {
        return List.copyOf(views.values());
    }

    /**
     * Takes {@code v} as the kept view of its offset unless a valid one is kept there
     * already (another thread made it first). Called under the registry's monitor, as
     * {@link #forget} is, so the kept views are exactly the registered ones.
     */
    boolean adopt(View v) {
        View prior = views.get(v.fileOffset());
        if (prior != null && prior.isValid()) {
            return false;
        }
        views.put(v.fileOffset(), v);
        return true;
    }

    void forget(View v) {
        views.remove(v.fileOffset(), v);
        if (v.pinned != null) {
            synchronized (age) {
                pinnedBytes -= bs;
            }
        }
    }

    /**
     * Counts a new view among the kept ones; releases (invalidates) the oldest while the
     * mapping keeps more than {@link #MAX_KEPT_VIEWS} views or pins more than
     * {@link #MAX_PINNED_BYTES} of the cache: a view in use then fails its validation and
     * is made again, as a page the kernel reclaimed faults in again.
     */
    private void keep(View v) {
        List<View> release = new java.util.ArrayList<>();
        synchronized (age) {
            age.addLast(v);
            if (v.pinned != null) {
                pinnedBytes += bs;
            }
            int kept = views.size();
            long pinned = pinnedBytes;
            while (!age.isEmpty() && (kept > MAX_KEPT_VIEWS || pinned > MAX_PINNED_BYTES)) {
                View old = age.peekFirst();
                if (old == v) {
                    break;
                }
                age.pollFirst();
                if (old.isValid()) {
                    release.add(old);
                    kept--;
                    pinned -= old.pinned != null ? bs : 0;
                }
            }
            if (age.size() > 4 * MAX_KEPT_VIEWS) {
                age.removeIf(x -> !x.isValid());
            }
        }
        for (View old : release) {
            registry.invalidate(old, "released: a mapping keeps at most " + MAX_KEPT_VIEWS + " views and "
                    + (MAX_PINNED_BYTES >> 20) + " MiB of cache pages; take the view again", null);
        }
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public MapMode mode() {
        return mode;
    }

    @Override
    public boolean direct() {
        return direct;
    }

    private void checkOpen() throws StorageException {
        String why = closed;
        if (why != null) {
            throw new StorageException("the mapping of " + path + " is closed: " + why);
        }
    }

    private void inside(String what, long at, long n) throws InvalidArgumentException {
        if (at < offset || n < 0 || at - offset > length - n) {
            throw new InvalidArgumentException(what + " in the mapping of " + path, at + (n > 1 ? "+" + n : ""),
                    "inside the mapping [" + offset + ", " + (offset + length) + ")");
        }
    }

    // ------------------------------------------------------------------ views

    @Override
    public MappedView view(long at) throws IOException {
        checkOpen();
        inside("offset", at, 1);
        View kept = kept(at);
        if (kept != null) {
            return kept;
        }
        VolumeCore core = registry.core;
        long b = at / bs;
        Access access = core.cache.unwrittenIn(inode, b, runLimit(b)) ? Access.CHANGE : Access.READ;
        return core.operation(access, () -> make(at));
    }

    /** A kept valid view that shows offset {@code at}, or null. */
    private View kept(long at) {
        Map.Entry<Long, View> e = views.floorEntry(at);
        return e != null && e.getValue().covers(at) && e.getValue().isValid() ? e.getValue() : null;
    }

    /** The block after the longest run a view from block {@code b} may show, within the mapping. */
    private long runLimit(long b) {
        return Math.min((offset + length + bs - 1) / bs, b + MAX_VIEW_BYTES / bs);
    }

    private View make(long at) throws IOException {
        VolumeCore core = registry.core;
        var cache = registry.cache();
        long b = at / bs;
        long limit = runLimit(b);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            checkOpen();
            View kept = kept(at); // another thread made it meanwhile
            if (kept != null) {
                return kept;
            }
            if (core.cache.unwrittenIn(inode, b, limit)) {
                // Views show blocks: what the page cache holds for the run goes to the device
                // first, and pages a writeback or commit is writing now are waited for.
                registry.committer.writeBackRange(inode, b, limit);
                if (core.cache.unwrittenIn(inode, b, limit)) {
                    registry.committer.sync();
                }
            }
            long mark = registry.mark();
            long epoch = deviceEpoch();
            long cacheVersion = cache.version(inode);
            long cachePhysVersion = cache.physVersion(b); // one counter for all blocks: taken before the lookup
            if (core.cache.unwrittenIn(inode, b, limit)) {
                continue; // written again meanwhile
            }
            ViewMaker.Run run = core.treeLock.reading(() -> maker.lookup(b, at));
            View v;
            if (!run.written()) {
                v = maker.zeros(run, at, epoch);
            } else {
                DirectAccess memory = direct ? core.device.directAccess() : null;
                v = memory != null ? maker.deviceView(memory, run, at, epoch)
                        : maker.cacheView(run, at, epoch, cacheVersion, cachePhysVersion);
            }
            if (registry.register(v, mark)) {
                keep(v);
                return v;
            }
            if (v.pinned != null) {
                cache.unpin(v.physical, v.pinned);
            }
        }
        throw new BusyException(path, "its blocks at offset " + at + " kept changing while a view of them was made");
    }

    @Override
    public int read(long at, ByteBuffer dst) throws IOException {
        checkOpen();
        inside("offset", at, 0);
        if (at >= registry.core.size(inode, path)) {
            return -1;
        }
        int done = 0;
        int retries = 0;
        while (dst.hasRemaining() && at + done < offset + length) {
            MappedView v;
            try {
                v = view(at + done);
            } catch (InvalidArgumentException pastEnd) {
                if (done == 0) {
                    throw pastEnd;
                }
                break; // the file ended (or shrank) here
            }
            int pos = dst.position();
            try {
                ByteBuffer buf = v.buffer();
                int within = (int) (at + done - v.fileOffset());
                int n = Math.min(dst.remaining(), buf.capacity() - within);
                dst.put(buf.position(within).limit(within + n));
                v.validate();
                done += n;
                retries = 0;
            } catch (InvalidViewException changed) {
                dst.position(pos); // read while it changed: not trusted
                if (++retries > ATTEMPTS) {
                    throw changed;
                }
            }
        }
        return done;
    }

    // ------------------------------------------------------------------ stores

    @Override
    public int write(long at, ByteBuffer src) throws IOException {
        checkOpen();
        if (mode != MapMode.READ_WRITE) {
            throw new ReadOnlyException(path + " (mapped read-only)");
        }
        int n = src.remaining();
        if (n == 0) {
            return 0;
        }
        inside("store", at, n);
        try {
            return registry.core.operation(Access.CHANGE, () -> store(at, src));
        } finally {
            stored = true; // also a failed store may have stored a prefix: the next msync commits it
        }
    }

    @SuppressWarnings("try") // the file lock is held by the try and released by it
    private int store(long at, ByteBuffer src) throws IOException {
        VolumeCore core = registry.core;
        core.checkWritable();
        int n = src.remaining();
        try (FileLocks.Held held = core.fileLocks.lock(inode)) {
            long size = core.size(inode, path);
            if (at > size - n) {
                throw new InvalidArgumentException("store in " + path, at + "+" + n, "within the file's " + size
                        + " bytes (a mapping never extends its file)");
            }
            int done = 0;
            while (done < n) {
                long pos = at + done;
                long first = pos / bs;
                int chunk = (int) Math.min(n - done, MAX_STORE_BYTES - (pos - first * bs));
                long end = (pos + chunk + bs - 1) / bs;
                int count = (int) (end - first);
                registry.committer.writeBackRange(inode, first, end);
                ByteBuffer data = registry.io.allocate(count * bs);
                if (pos % bs != 0) {
                    data.put(0, registry.reads.readBlockForUpdate(inode, path, first));
                }
                if ((pos + chunk) % bs != 0 && (count > 1 || pos % bs == 0)) {
                    data.put((count - 1) * bs, registry.reads.readBlockForUpdate(inode, path, end - 1));
                }
                data.put((int) (pos - first * bs), src, src.position() + done, chunk);
                registry.direct.store(inode, path, data.clear(), first * bs, size);
                done += chunk;
            }
            src.position(src.position() + n);
            return n;
        }
    }

    @Override
    public void msync(long at, long n) throws IOException {
        checkOpen();
        inside("msync range", at, n);
        if (stored) {
            stored = false; // stores after this point wait for the next msync
            try {
                registry.committer.sync();
            } catch (IOException | RuntimeException e) {
                stored = true; // not durable: the next msync tries again
                throw e;
            }
        }
    }

    @Override
    public void close() {
        closeFor("it was unmapped");
    }

    void closeFor(String why) {
        if (closed != null) {
            return;
        }
        closed = why;
        registry.closeViews(this, why);
        registry.closed(this);
    }

    @Override
    public String toString() {
        return "mapping of " + path + " [" + offset + ", " + (offset + length) + ") " + mode
                + (direct ? ", device memory" : ", cache");
    }
}
