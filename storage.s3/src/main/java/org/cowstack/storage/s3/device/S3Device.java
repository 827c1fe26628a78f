package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

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
 * <p>One lock serialises the device's transfers (a first version: the figures of the
 * README say what that costs); the uploads of a flush run in parallel.
 */
final class S3Device extends AbstractBlockDevice {
    private final S3Client s3;
    private final String prefix;
    private final String name;
    private final ExecutorService uploads;
    private final ObjectCache cache;
    private final int objectSize;
    private final int retain;
    private final Object lock = new Object();
    /** Guarded by lock. */
    private Manifest manifest;
    /** Guarded by lock: the manifest's ETag, the condition of the next manifest put. */
    private String etag;
    /** Guarded by lock: objects uploaded early for the next generation (index to generation). */
    private final Map<Long, Long> early = new TreeMap<>();
    /** Guarded by lock: objects that became all zeros since the last commit and left the cache. */
    private final java.util.Set<Long> zeroed = new java.util.TreeSet<>();
    /** Guarded by lock: the next upload batch's number (see {@link Manifest#version}). */
    private long batch = new java.security.SecureRandom().nextInt(1 << 24);
    /** Guarded by lock: why this device may not write any more (another writer won), or null. */
    private String fenced;
    final AtomicLong cacheHits = new AtomicLong();
    final AtomicLong cacheMisses = new AtomicLong();
    final AtomicLong puts = new AtomicLong();
    final AtomicLong gets = new AtomicLong();

    S3Device(URI uri, String name, S3Client s3, String prefix, Manifest manifest, String etag, ObjectCache cache,
            boolean readOnly, ExecutorService uploads, int retain) {
        super(uri, manifest.size, manifest.blockSize, readOnly, Set.of());
        this.name = name;
        this.s3 = s3;
        this.prefix = prefix;
        this.manifest = manifest;
        this.etag = etag;
        this.cache = cache;
        this.objectSize = manifest.objectSize;
        this.uploads = uploads;
        this.retain = retain;
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
        long at = offset;
        while (dst.hasRemaining()) {
            long index = at / objectSize;
            int within = (int) (at % objectSize);
            int n = Math.min(dst.remaining(), objectSize - within);
            ByteBuffer piece = dst.slice(dst.position(), n);
            readPiece(index, within, piece);
            dst.position(dst.position() + n);
            at += n;
        }
    }

    private void readPiece(long index, int within, ByteBuffer piece) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String key;
            synchronized (lock) {
                ObjectCache.Slot slot = cache.get(index);
                if (slot != null) {
                    cacheHits.incrementAndGet();
                    cache.read(slot, within, piece);
                    return;
                }
                Long gen = storedGeneration(index);
                if (gen == null) {
                    while (piece.hasRemaining()) {
                        piece.put((byte) 0);
                    }
                    return;
                }
                key = Manifest.key(prefix, index, gen);
            }
            cacheMisses.incrementAndGet();
            gets.incrementAndGet();
            byte[] bytes = s3.get(key, within, piece.remaining());
            if (bytes != null) {
                int copied = Math.min(bytes.length, piece.remaining());
                piece.put(bytes, 0, copied);
                while (piece.hasRemaining()) { // past the stored end: zeros (a short last object)
                    piece.put((byte) 0);
                }
                return;
            }
            if (attempt > 0) { // a flush replaced it meanwhile, twice: the store lost it
                throw new IOException("s3:" + name + ": object " + key + " named by the manifest is missing");
            }
        }
    }

    /** Where the object's content is stored, as this device sees it: early upload, else the manifest; null: zeros. */
    private Long storedGeneration(long index) {
        Long gen = early.get(index);
        return gen != null ? gen : manifest.objects.get(index);
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) throws IOException {
        synchronized (lock) {
            checkFenced();
            long at = offset;
            while (src.hasRemaining()) {
                long index = at / objectSize;
                int within = (int) (at % objectSize);
                int n = Math.min(src.remaining(), objectSize - within);
                ObjectCache.Slot slot = slotFor(index);
                ByteBuffer piece = src.slice(src.position(), n);
                cache.write(slot, within, piece);
                slot.dirty = true;
                src.position(src.position() + n);
                at += n;
            }
        }
    }

    /** The object's cache slot, loaded whole (from the store, or zeros). Lock held. */
    private ObjectCache.Slot slotFor(long index) throws IOException {
        ObjectCache.Slot slot = cache.get(index);
        if (slot != null) {
            return slot;
        }
        slot = cache.take(index);
        while (slot == null) {
            uploadEarly(cache.oldestDirty());
            slot = cache.take(index);
        }
        Long gen = storedGeneration(index);
        byte[] content = null;
        if (gen != null) {
            gets.incrementAndGet();
            content = s3.get(Manifest.key(prefix, index, gen));
            if (content == null) {
                cache.drop(index);
                throw new IOException("s3:" + name + ": object " + Manifest.key(prefix, index, gen)
                        + " named by the manifest is missing");
            }
        }
        byte[] whole = new byte[objectSize];
        if (content != null) {
            System.arraycopy(content, 0, whole, 0, Math.min(content.length, objectSize));
        }
        cache.write(slot, 0, ByteBuffer.wrap(whole));
        return slot;
    }

    /** Uploads a dirty object under the next generation's key before the flush: the cache needs its slot. */
    private void uploadEarly(long index) throws IOException {
        ObjectCache.Slot slot = cache.get(index);
        long version = Manifest.version(manifest.generation + 1, batch++);
        byte[] content = cache.readAll(slot);
        if (isZero(content)) {
            early.remove(index);
            zeroed.add(index);
        } else {
            store(index, version, content);
            early.put(index, version);
            zeroed.remove(index);
        }
        slot.dirty = false;
    }

    /**
     * Stores an object version; a key that exists means another writer: fenced. Unless it
     * holds exactly these bytes: then it is this put, which landed while its answer was
     * lost, refused when the client retried it.
     */
    private void store(long index, long version, byte[] content) throws IOException {
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

    /** Another writer is there: this open writes no more. Lock held (or about to be, for uploads). */
    private IOException fence() {
        fenced = "s3:" + name + ": another writer committed to this device since it was opened here"
                + " (its manifest changed); this open writes no more, so that state is kept";
        return new IOException(fenced);
    }


    @Override
    protected void doFlush() throws IOException {
        synchronized (lock) {
            checkFenced();
            Map<Long, ObjectCache.Slot> dirty = cache.dirty();
            if (dirty.isEmpty() && early.isEmpty() && zeroed.isEmpty()) {
                return;
            }
            long next = manifest.generation + 1;
            long version = Manifest.version(next, batch++);
            Map<Long, Long> objects = new TreeMap<>(manifest.objects);
            objects.putAll(early);
            zeroed.forEach(objects::remove);
            List<Future<Long>> pending = new ArrayList<>();
            Map<Long, Boolean> stored = new HashMap<>();
            for (Map.Entry<Long, ObjectCache.Slot> e : dirty.entrySet()) {
                long index = e.getKey();
                byte[] content = cache.readAll(e.getValue());
                if (isZero(content)) {
                    stored.put(index, false);
                    continue;
                }
                stored.put(index, true);
                pending.add(uploads.submit(() -> {
                    store(index, version, content);
                    return index;
                }));
            }
            IOException failure = null;
            for (Future<Long> f : pending) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (failure == null) {
                        failure = cause instanceof IOException io ? io : new IOException(cause.toString(), cause);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("s3:" + name + ": flush interrupted");
                }
            }
            if (failure != null) {
                throw failure; // the manifest still names the last generation: nothing lost, nothing committed
            }
            stored.forEach((index, has) -> {
                if (has) {
                    objects.put(index, version);
                } else {
                    objects.remove(index);
                }
            });
            List<long[]> garbage = new ArrayList<>();
            List<String> delete = new ArrayList<>();
            List<long[]> candidates = new ArrayList<>(manifest.garbage);
            manifest.objects.forEach((index, gen) -> {
                if (!gen.equals(objects.get(index))) {
                    candidates.add(new long[] {index, gen, next});
                }
            });
            for (long[] g : candidates) {
                if (g[2] <= next - retain) {
                    delete.add(Manifest.key(prefix, g[0], g[1]));
                } else {
                    garbage.add(g);
                }
            }
            Manifest m = new Manifest(manifest.size, manifest.blockSize, objectSize, next, objects, garbage);
            String newTag;
            byte[] encoded = m.encode();
            try {
                puts.incrementAndGet();
                newTag = s3.put(Manifest.manifestKey(prefix), encoded, S3Client.Condition.ifMatch(etag));
            } catch (S3Exception e) {
                if (!e.preconditionFailed()) {
                    throw e;
                }
                // This manifest, byte for byte: this put landed, its answer was lost, the retry was refused.
                S3Client.Versioned now = s3.getVersioned(Manifest.manifestKey(prefix));
                if (now == null || !java.util.Arrays.equals(now.body(), encoded)) {
                    throw fence();
                }
                newTag = now.etag();
            }
            manifest = m;
            etag = newTag;
            early.clear();
            zeroed.clear();
            dirty.values().forEach(s -> s.dirty = false);
            List<Future<Object>> deletes = new ArrayList<>();
            for (String key : delete) {
                deletes.add(uploads.submit(() -> {
                    s3.delete(key);
                    return null;
                }));
            }
            for (Future<Object> f : deletes) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    // best effort: an object left over is collected at the next read-write open
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void checkFenced() throws IOException {
        if (fenced != null) {
            throw new IOException(fenced);
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    protected void doClose() throws IOException {
        cache.close();
    }
}
