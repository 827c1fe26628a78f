package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

import org.cowstack.storage.s3.client.S3Client;
import org.cowstack.storage.s3.client.S3Exception;

/**
 * The flush of an {@link S3Device}: one at a time ({@code commit}), in three steps.
 * <ol>
 * <li>Under the device's lock, the snapshot: the write stamp of every dirty object, which
 * is frozen (its content is read when its upload starts, under the lock; a write to it
 * before that first hands the flush a copy: {@link #preserve}; so a flush holds at most
 * its uploads in flight and the objects written meanwhile in memory, not the whole
 * cache), the early uploads and the zeroed objects. This is what the flush commits:
 * every write that returned before the flush began, none that began after the snapshot;
 * a write running at the snapshot is in it object by object (each object's piece of a
 * write is applied under the lock, whole), as a disk's cache would have it.
 * <li>Without the lock, the uploads of the snapshot's dirty objects (in parallel), then,
 * once every one of them completed, the manifest put with {@code If-Match} (the commit
 * point). Reads and writes go on meanwhile; a failure leaves the last generation.
 * <li>Under the lock, the booking: the new manifest; the early uploads and zeroed objects
 * of the snapshot are now in it; a dirty object is clean only if no write changed it
 * since the snapshot (its stamp), else it stays dirty for the next flush. Then the
 * deletes of versions older than the retention, without the lock.
 * </ol>
 */
final class Flush {
    private final S3Device d;
    private final ExecutorService uploads;
    private final int retain;
    /** Uploads in flight: at most the store's parallelUploads. */
    private final java.util.concurrent.Semaphore inFlight;
    private final ReentrantLock commit = new ReentrantLock();
    /** Guarded by the device's lock: snapshot contents of frozen objects written since the snapshot. */
    private final Map<Long, byte[]> preserved = new HashMap<>();

    Flush(S3Device device, ExecutorService uploads, int retain, int parallelUploads) {
        this.d = device;
        this.uploads = uploads;
        this.retain = retain;
        this.inFlight = new java.util.concurrent.Semaphore(parallelUploads);
    }

    void run() throws IOException {
        commit.lock();
        try {
            flush();
        } finally {
            commit.unlock();
        }
    }

    private void flush() throws IOException {
        Manifest base;
        String tag;
        long version;
        Map<Long, ObjectCache.Slot> dirty;
        Map<Long, Long> stamps = new HashMap<>();
        Map<Long, Long> earlyAt;
        Set<Long> zeroedAt;
        synchronized (d.lock) {
            d.checkFenced();
            dirty = d.cache.dirty();
            if (dirty.isEmpty() && d.early.isEmpty() && d.zeroed.isEmpty()) {
                return;
            }
            base = d.manifest;
            tag = d.etag;
            version = Manifest.version(base.generation + 1, d.batch++);
            earlyAt = new TreeMap<>(d.early);
            zeroedAt = new TreeSet<>(d.zeroed);
            for (Map.Entry<Long, ObjectCache.Slot> e : dirty.entrySet()) {
                e.getValue().frozen = true;
                stamps.put(e.getKey(), e.getValue().stamp);
            }
            d.snapshotHook.accept(base.generation + 1);
        }
        long next = base.generation + 1;
        Map<Long, Long> objects = new TreeMap<>(base.objects);
        objects.putAll(earlyAt);
        zeroedAt.forEach(objects::remove);
        try {
            upload(dirty, version, objects);
        } finally {
            synchronized (d.lock) { // after a failure: the slots are writable again as they are
                dirty.values().forEach(slot -> slot.frozen = false);
                preserved.clear();
            }
        }
        List<long[]> garbage = new ArrayList<>();
        List<String> delete = new ArrayList<>();
        List<long[]> candidates = new ArrayList<>(base.garbage);
        base.objects.forEach((index, gen) -> {
            if (!gen.equals(objects.get(index))) {
                candidates.add(new long[] {index, gen, next});
            }
        });
        for (long[] g : candidates) {
            if (g[2] <= next - retain) {
                delete.add(Manifest.key(d.prefix, g[0], g[1]));
            } else {
                garbage.add(g);
            }
        }
        Manifest m = new Manifest(base.size, base.blockSize, d.objectSize, next, objects, garbage);
        String newTag;
        byte[] encoded = m.encode();
        try {
            d.puts.incrementAndGet();
            newTag = d.s3.put(Manifest.manifestKey(d.prefix), encoded, S3Client.Condition.ifMatch(tag));
        } catch (S3Exception e) {
            if (!e.preconditionFailed()) {
                throw e;
            }
            // This manifest, byte for byte: this put landed, its answer was lost, the retry was refused.
            S3Client.Versioned now = d.s3.getVersioned(Manifest.manifestKey(d.prefix));
            if (now == null || !java.util.Arrays.equals(now.body(), encoded)) {
                throw d.fence();
            }
            newTag = now.etag();
        }
        synchronized (d.lock) {
            d.manifest = m;
            d.etag = newTag;
            earlyAt.forEach(d.early::remove); // remove(key, value): not one uploaded again since
            d.zeroed.removeAll(zeroedAt);
            dirty.forEach((index, slot) -> {
                if (d.cache.peek(index) == slot && slot.stamp == stamps.get(index)) {
                    slot.dirty = false;
                }
            });
            d.lock.notifyAll(); // clean slots: writers waiting for one may go on
        }
        List<Future<?>> deletes = new ArrayList<>();
        for (String key : delete) {
            deletes.add(uploads.submit(() -> {
                d.s3.delete(key);
                return null;
            }));
        }
        try {
            await(deletes); // best effort: an object left over is collected at the next read-write open
        } catch (InterruptedIOException e) {
            // committed all the same; the interrupt stays set
        }
    }

    /**
     * Uploads the snapshot's objects, at most parallelUploads at once, each read when its
     * upload starts; stops at the first that fails. Puts each object's version in
     * {@code objects}, or removes it when it is all zeros (not stored).
     */
    private void upload(Map<Long, ObjectCache.Slot> dirty, long version, Map<Long, Long> objects) throws IOException {
        List<Future<?>> pending = new ArrayList<>();
        Set<Long> zeros = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // The first upload that fails (after its retries) fails the flush: the others not yet started are skipped.
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        for (Map.Entry<Long, ObjectCache.Slot> e : dirty.entrySet()) {
            long index = e.getKey();
            ObjectCache.Slot slot = e.getValue();
            try {
                inFlight.acquire();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                await(pending);
                throw new InterruptedIOException("s3:" + d.name + ": flush interrupted; nothing committed");
            }
            if (failed.get()) {
                inFlight.release();
                break;
            }
            pending.add(uploads.submit(() -> {
                try {
                    byte[] content = snapshotContent(index, slot);
                    if (S3Device.isZero(content)) {
                        zeros.add(index);
                    } else {
                        d.store(index, version, content);
                    }
                } catch (IOException | RuntimeException ex) {
                    failed.set(true);
                    throw ex;
                } finally {
                    inFlight.release();
                }
                return null;
            }));
        }
        IOException failure = await(pending);
        if (failure != null) {
            throw failure; // the manifest still names the last generation: nothing lost, nothing committed
        }
        for (long index : dirty.keySet()) {
            if (zeros.contains(index)) {
                objects.remove(index);
            } else {
                objects.put(index, version);
            }
        }
    }

    /** The object's content as of the snapshot: the copy a write preserved, else the frozen slot's. */
    private byte[] snapshotContent(long index, ObjectCache.Slot slot) throws IOException {
        synchronized (d.lock) {
            byte[] content = preserved.remove(index);
            if (content == null) {
                content = d.cache.readAll(slot);
                slot.frozen = false;
            }
            return content;
        }
    }

    /**
     * A frozen object is about to change (a write) or to leave its slot (an early
     * upload): the flush keeps its snapshot content. Device lock held.
     */
    void preserve(long index, ObjectCache.Slot slot, byte[] content) {
        preserved.put(index, content);
        slot.frozen = false;
    }

    private IOException await(List<Future<?>> futures) throws InterruptedIOException {
        IOException failure = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = cause instanceof IOException io ? io : new IOException(cause.toString(), cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("s3:" + d.name + ": flush interrupted");
            }
        }
        return failure;
    }
}
