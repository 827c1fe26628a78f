package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import org.cowstack.storage.device.base.AbstractBlockDevice;
import org.cowstack.storage.s3.client.S3Client;
import org.cowstack.storage.s3.client.S3Exception;

/**
 * A block device on an S3 bucket: the device's bytes in objects of {@code objectSize}
 * ({@link Manifest#key}), all-zero objects not stored, a {@link Manifest} as the commit
 * point. Writes go to the local {@link ObjectCache} (a partly written object is first
 * fetched whole: read-modify-write); reads come from the cache or, by byte range, from
 * the store. {@link #flush()} uploads every dirty object under the next generation's key,
 * in parallel, then puts the manifest with {@code If-Match} on the one this device last
 * read or wrote: a second writer (another process or machine) is refused there with one
 * line and never overwrites the first one's state. When the cache is full of dirty
 * objects, the oldest is uploaded early under the next generation's key (still
 * uncommitted: the manifest names it only at the flush).
 *
 * <p>Concurrency. {@code lock} guards the bookkeeping: the manifest and its ETag, the
 * early uploads, the zeroed set, the batch counter, the fence, the cache's map of slots
 * (and its file, but for a slot being fetched, see {@link ObjectCache}), the read-ahead
 * streams and the background fetches ({@link Fetches}). It is never held across a network
 * transfer: a transfer is decided under it, runs without it, and its result is booked
 * under it again. So reads and writes of different objects never wait for each other's
 * transfers, and the pieces of one read that miss are fetched in parallel. An object
 * being fetched whole (read-modify-write, read-ahead) has a slot that is not
 * {@link ObjectCache.Slot#ready}: whoever needs that object waits for it on the lock's
 * monitor and shares that one GET. Flushes run one at a time ({@link Flush}).
 *
 * <p>What a flush commits: the state at its snapshot, taken under the lock when it
 * starts (the dirty objects' contents, the early uploads and the zeroed objects then).
 * Writes after the snapshot go on during the uploads and stay dirty for the next flush;
 * the manifest names only the snapshot's objects, all of whose uploads completed.
 */
final class S3Device extends AbstractBlockDevice {
    /** The largest read-ahead window, in objects (at most half the cache's slots). */
    static final int DEFAULT_READ_AHEAD = 4;
    /** Uploads a flush has in flight at most, unless the store says otherwise. */
    static final int DEFAULT_PARALLEL_UPLOADS = 8;

    /** Called before each GET of an object: a test's way to see transfers overlap. */
    interface GetHook {
        void beforeGet(long index, boolean whole) throws IOException;
    }

    final String name;
    final S3Client s3;
    final String prefix;
    final ObjectCache cache;
    final int objectSize;
    final Object lock = new Object();
    private final long objects;
    private final ReadAhead streams;
    private final Fetches fetches;
    private final Flush flush;
    /** Guarded by lock. */
    Manifest manifest;
    /** Guarded by lock: the manifest's ETag, the condition of the next manifest put. */
    String etag;
    /** Guarded by lock: objects uploaded early for the next generation (index to version). */
    final Map<Long, Long> early = new TreeMap<>();
    /** Guarded by lock: objects that became all zeros since the last commit and were cleaned early. */
    final Set<Long> zeroed = new TreeSet<>();
    /** Guarded by lock: the next upload batch's number (see {@link Manifest#version}). */
    long batch = new java.security.SecureRandom().nextInt(1 << 24);
    /** Guarded by lock: why this device may not write any more (another writer won), or null. */
    private String fenced;
    /** Pieces of reads served from the cache as they came. */
    final AtomicLong cacheHits = new AtomicLong();
    /** Pieces of reads that waited for a fetch or issued a GET. */
    final AtomicLong cacheMisses = new AtomicLong();
    final AtomicLong puts = new AtomicLong();
    final AtomicLong gets = new AtomicLong();
    /** Objects fetched whole into the cache because a stream read sequentially. */
    final AtomicLong readAheads = new AtomicLong();
    volatile GetHook getHook = (index, whole) -> { };
    /** Called under the lock with the generation a flush snapshots for. */
    volatile LongConsumer snapshotHook = g -> { };

    S3Device(URI uri, String name, S3Client s3, String prefix, Manifest manifest, String etag, ObjectCache cache,
            boolean readOnly, ExecutorService uploads, int retain) {
        this(uri, name, s3, prefix, manifest, etag, cache, readOnly, uploads, retain, DEFAULT_READ_AHEAD,
                DEFAULT_PARALLEL_UPLOADS);
    }

    /**
     * {@code transfers} runs the uploads of a flush and the fetches (it belongs to the
     * provider); a flush has at most {@code parallelUploads} uploads in flight.
     */
    S3Device(URI uri, String name, S3Client s3, String prefix, Manifest manifest, String etag, ObjectCache cache,
            boolean readOnly, ExecutorService transfers, int retain, int readAhead, int parallelUploads) {
        super(uri, manifest.size, manifest.blockSize, readOnly, Set.of());
        this.name = name;
        this.s3 = s3;
        this.prefix = prefix;
        this.manifest = manifest;
        this.etag = etag;
        this.cache = cache;
        this.objectSize = manifest.objectSize;
        this.objects = (manifest.size + objectSize - 1) / objectSize;
        this.streams = new ReadAhead(Math.min(readAhead, Math.max(1, cache.slots() / 2)));
        this.fetches = new Fetches(this, transfers);
        this.flush = new Flush(this, transfers, retain, parallelUploads);
    }

    /**
     * An object the manifest names is not in the store: lost by the store, or — for a
     * read-only open — deleted by the writer once it was replaced more than its retained
     * generations ago, so that a newer manifest is the one to read.
     */
    IOException missing(String key) {
        return new IOException("s3:" + name + ": object " + key + " named by the manifest is missing" + (isReadOnly()
                ? " (the writer may have replaced and deleted it since this read-only open: storage:remount "
                        + "--refresh mounts the newest generation)" : ""));
    }

    /** The committed generation. */
    long generation() {
        synchronized (lock) {
            return manifest.generation;
        }
    }

    /** Objects stored (not all zeros) as of the last commit. */
    int storedObjects() {
        synchronized (lock) {
            return manifest.objects.size();
        }
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) throws IOException {
        if (!dst.hasRemaining()) {
            return;
        }
        long first = offset / objectSize;
        long last = (offset + dst.remaining() - 1) / objectSize;
        synchronized (lock) {
            int window = streams.next(offset, dst.remaining());
            if (window > 0) {
                fetches.readAhead(first, Math.min(objects - 1, last + window));
            }
        }
        List<Fetches.Piece> missed = new ArrayList<>();
        long at = offset;
        while (dst.hasRemaining()) {
            long index = at / objectSize;
            int within = (int) (at % objectSize);
            int n = Math.min(dst.remaining(), objectSize - within);
            ByteBuffer piece = dst.slice(dst.position(), n);
            if (!readCached(index, within, piece)) {
                cacheMisses.incrementAndGet();
                missed.add(new Fetches.Piece(index, within, piece));
            }
            dst.position(dst.position() + n);
            at += n;
        }
        fetches.readAll(missed);
    }

    /** Reads the piece if the cache has it ready or the store has zeros there; false: it needs a transfer. */
    private boolean readCached(long index, int within, ByteBuffer piece) throws IOException {
        synchronized (lock) {
            ObjectCache.Slot slot = cache.get(index);
            if (slot != null) {
                if (!slot.ready) {
                    return false;
                }
                cacheHits.incrementAndGet();
                cache.read(slot, within, piece);
                return true;
            }
            if (storedVersion(index) == null) {
                zero(piece);
                return true;
            }
            return false;
        }
    }

    static void zero(ByteBuffer piece) {
        while (piece.hasRemaining()) {
            piece.put((byte) 0);
        }
    }

    /** Where the object's content is stored, as this device sees it: early upload, else the manifest; null: zeros. Lock held. */
    Long storedVersion(long index) {
        Long version = early.get(index);
        if (version != null) {
            return version;
        }
        return zeroed.contains(index) ? null : manifest.objects.get(index);
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) throws IOException {
        long at = offset;
        while (src.hasRemaining()) {
            long index = at / objectSize;
            int within = (int) (at % objectSize);
            int n = Math.min(src.remaining(), objectSize - within);
            writePiece(index, within, src.slice(src.position(), n));
            src.position(src.position() + n);
            at += n;
        }
    }

    /**
     * Writes into the object's slot, first fetching it whole (or zeroing it) if it has none:
     * the fetch, or the early upload that frees a slot, runs without the lock.
     */
    private void writePiece(long index, int within, ByteBuffer piece) throws IOException {
        for (int failures = 0; ; ) {
            ObjectCache.Slot fetch = null;
            String key = null;
            synchronized (lock) {
                checkFenced();
                ObjectCache.Slot slot = cache.get(index);
                if (slot != null && !slot.ready) {
                    waitForChange(); // a fetch of it in flight: share it
                    continue;
                }
                if (slot == null && (slot = cache.take(index)) != null) {
                    Long version = storedVersion(index);
                    if (version != null) {
                        slot.ready = false;
                        fetch = slot;
                        key = Manifest.key(prefix, index, version);
                        slot = null;
                    } else {
                        cache.write(slot, 0, ByteBuffer.wrap(new byte[objectSize]));
                    }
                }
                if (slot != null) {
                    if (slot.frozen) {
                        flush.preserve(index, slot, cache.readAll(slot));
                    }
                    cache.write(slot, within, piece);
                    slot.dirty = true;
                    slot.stamp++;
                    return;
                }
            }
            if (fetch == null) {
                uploadEarly(); // no slot: every one dirty or being fetched
                continue;
            }
            try {
                fetches.fetchWhole(index, fetch, key);
            } catch (IOException e) {
                if (e instanceof InterruptedIOException || ++failures >= 3) {
                    throw e;
                }
            }
        }
    }

    /** Waits on the lock's monitor for a fetch, an upload or a flush to change a slot. Lock held. */
    void waitForChange() throws InterruptedIOException {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("s3:" + name + ": interrupted");
        }
    }

    /**
     * Uploads the dirty object used least recently under the next generation's key, before
     * the flush: a writer needs its slot. Without the lock; it is cleaned only if no write
     * changed it meanwhile. When every dirty slot is already being uploaded, waits for one.
     */
    private void uploadEarly() throws IOException {
        long index;
        ObjectCache.Slot slot;
        byte[] content;
        long stamp;
        long version;
        synchronized (lock) {
            Long oldest = cache.oldestDirty();
            if (oldest == null) {
                waitForChange(); // every slot being fetched or uploaded
                return;
            }
            index = oldest;
            slot = cache.peek(index);
            slot.uploading = true;
            content = cache.readAll(slot);
            if (slot.frozen) { // it may leave its slot once clean: the flush keeps what it snapshot
                flush.preserve(index, slot, content);
            }
            stamp = slot.stamp;
            version = Manifest.version(manifest.generation + 1, batch++);
        }
        boolean zero = isZero(content);
        boolean stored = false;
        try {
            if (!zero) {
                store(index, version, content);
            }
            stored = true;
        } finally {
            synchronized (lock) {
                slot.uploading = false;
                if (stored && slot.stamp == stamp && cache.peek(index) == slot) {
                    if (slot.frozen) { // frozen by a flush since it was read: unchanged, and about to be clean
                        flush.preserve(index, slot, content);
                    }
                    if (zero) {
                        early.remove(index);
                        zeroed.add(index);
                    } else {
                        early.put(index, version);
                        zeroed.remove(index);
                    }
                    slot.dirty = false;
                }
                lock.notifyAll();
            }
        }
    }

    /**
     * Stores an object version; a key that exists means another writer: fenced. Unless it
     * holds exactly these bytes: then it is this put, which landed while its answer was
     * lost, refused when the client retried it.
     */
    void store(long index, long version, byte[] content) throws IOException {
        puts.incrementAndGet();
        String key = Manifest.key(prefix, index, version);
        try {
            s3.put(key, content, S3Client.Condition.ABSENT);
        } catch (S3Exception e) {
            if (e.preconditionFailed()) {
                if (java.util.Arrays.equals(content, s3.get(key))) {
                    return;
                }
                throw fence();
            }
            throw e;
        }
    }

    /** Another writer is there: this open writes no more. */
    IOException fence() {
        synchronized (lock) {
            fenced = "s3:" + name + ": another writer committed to this device since it was opened here"
                    + " (its manifest changed); this open writes no more, so that state is kept";
            return new IOException(fenced);
        }
    }

    /** Lock held. */
    void checkFenced() throws IOException {
        if (fenced != null) {
            throw new IOException(fenced);
        }
    }

    static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** Calls the test hook before a GET. */
    void beforeGet(long index, boolean whole) throws IOException {
        gets.incrementAndGet();
        getHook.beforeGet(index, whole);
    }

    @Override
    protected void doFlush() throws IOException {
        flush.run();
    }

    @Override
    protected void doClose() throws IOException {
        try {
            fetches.close();
        } finally {
            cache.close();
        }
    }
}
