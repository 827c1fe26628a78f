package org.cowstack.storage.s3.device;

import static org.cowstack.storage.s3.device.S3DeviceFixture.OBJECT;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.s3.client.S3Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent writers, readers (random and sequential) and flushers on one {@code s3:}
 * device with a small cache (read-modify-write, early uploads, read-ahead, eviction all
 * at once), against an in-memory model; after every flush, the volume reopened from the
 * store shows exactly the state at that flush's snapshot.
 *
 * <p>The model: every write of a block is stamped with ticks of one clock before it starts
 * and after it returns; the flush's snapshot takes a tick too (the device's snapshot hook,
 * under its lock). Each writer owns the objects {@code o % WRITERS == k}, so a block's
 * writes never overlap: at the snapshot tick a block holds the last write that returned
 * before it, or the one in flight. A read sees the last write that returned before it
 * began or one that overlapped it. Every block carries its write's id, so a mix shows.
 */
class S3DeviceWorkloadTest {
    private static final int BLOCK = 4096;
    private static final long SIZE = 2L << 20; // 32 objects
    private static final int BLOCKS = (int) (SIZE / BLOCK);
    private static final int PER_OBJECT = OBJECT / BLOCK;
    private static final int WRITERS = 3;
    private static final int FLUSHERS = 2;
    private static final int FLUSHES = 8;
    @TempDir
    Path dir;

    /** One write of a block: its id (0: zeros) and its ticks. */
    static final class Write {
        final long id;
        final long start;
        volatile long end = Long.MAX_VALUE;

        Write(long id, long start) {
            this.id = id;
            this.start = start;
        }
    }

    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final List<List<Write>> history = new ArrayList<>();
    private final Map<Long, Long> snapshots = new ConcurrentHashMap<>();
    private final Queue<String> errors = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;

    private static byte[] block(long id) {
        ByteBuffer b = ByteBuffer.allocate(BLOCK);
        if (id != 0) {
            Random r = new Random(id);
            b.putLong(id);
            while (b.hasRemaining()) {
                b.putLong(r.nextLong());
            }
        }
        return b.array();
    }

    /** The id a block carries; a torn or foreign block is an error. */
    private static long idOf(byte[] all, int at) {
        long id = ByteBuffer.wrap(all, at, 8).getLong();
        byte[] want = block(id);
        if (!java.util.Arrays.equals(all, at, at + BLOCK, want, 0, BLOCK)) {
            return -1;
        }
        return id;
    }

    /** Whether the block may hold {@code id} for an observation between ticks from and to. */
    private boolean allowed(int blockNo, long id, long from, long to) {
        List<Write> h = history.get(blockNo);
        long settled = 0;
        synchronized (h) {
            for (Write w : h) {
                long end = w.end;
                if (end < from) {
                    settled = w.id; // the list is in write order: the last one wins
                } else if (w.start < to && w.id == id) {
                    return true; // overlaps the observation
                }
            }
        }
        return settled == id;
    }

    private void check(String what, byte[] all, long offset, long from, long to) {
        for (int at = 0; at < all.length; at += BLOCK) {
            int blockNo = (int) ((offset + at) / BLOCK);
            long id = idOf(all, at);
            if (id < 0 || !allowed(blockNo, id, from, to)) {
                errors.add(what + ": block " + blockNo + " holds " + (id < 0 ? "a torn block" : "write " + id)
                        + ", not allowed between ticks " + from + " and " + to);
                return;
            }
        }
    }

    private void write(BlockDevice d, int firstBlock, int blocks, boolean zeros) throws IOException {
        List<Write> mine = new ArrayList<>();
        ByteBuffer src = ByteBuffer.allocate(blocks * BLOCK);
        long start = clock.incrementAndGet();
        for (int i = 0; i < blocks; i++) {
            long id = zeros ? 0 : ids.incrementAndGet();
            src.put(block(id));
            Write w = new Write(id, start);
            List<Write> h = history.get(firstBlock + i);
            synchronized (h) {
                h.add(w);
            }
            mine.add(w);
        }
        d.write(src.flip(), (long) firstBlock * BLOCK);
        long end = clock.incrementAndGet();
        mine.forEach(w -> w.end = end);
    }

    private Thread thread(String name, Random random, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run(random);
            } catch (Throwable e) {
                errors.add(name + ": " + e);
                stop = true;
            }
        }, name);
        t.start();
        return t;
    }

    private interface Body {
        void run(Random random) throws Exception;
    }

    @Test
    void concurrentWritersReadersAndFlushersCommitExactlyTheirSnapshots() throws Exception {
        long seed = Long.getLong("storage.test.seed", new Random().nextLong());
        System.out.println("seed S3DeviceWorkloadTest = " + seed + " (replay with -Dstorage.test.seed=" + seed + ")");
        for (int i = 0; i < BLOCKS; i++) {
            history.add(new ArrayList<>());
        }
        try (S3Proxy server = S3Proxy.start(dir)) {
            server.client("bucket").createBucket();
            S3DeviceFixture volume = new S3DeviceFixture(server, dir, "w");
            S3Device d = volume.open(OpenOptions.create(SIZE), 8);
            d.snapshotHook = generation -> snapshots.put(generation, clock.incrementAndGet());
            List<Thread> workers = new ArrayList<>();
            for (int k = 0; k < WRITERS; k++) {
                int me = k;
                workers.add(thread("writer" + k, new Random(seed + k), r -> {
                    while (!stop) {
                        int object = me + WRITERS * r.nextInt((int) (SIZE / OBJECT / WRITERS));
                        int p = r.nextInt(100);
                        if (p < 5) { // a whole object of zeros: not stored any more
                            write(d, object * PER_OBJECT, PER_OBJECT, true);
                        } else {
                            int n = 1 + r.nextInt(3);
                            write(d, object * PER_OBJECT + r.nextInt(PER_OBJECT - n + 1), n, p < 15);
                        }
                    }
                }));
            }
            workers.add(thread("random-reader", new Random(seed + 10), r -> {
                while (!stop) {
                    int n = 1 + r.nextInt(20);
                    long offset = (long) r.nextInt(BLOCKS - n + 1) * BLOCK;
                    long from = clock.incrementAndGet();
                    byte[] got = S3DeviceFixture.read(d, offset, n * BLOCK);
                    check("read at " + offset, got, offset, from, clock.incrementAndGet());
                }
            }));
            workers.add(thread("sequential-reader", new Random(seed + 11), r -> {
                long offset = 0;
                while (!stop) {
                    int n = 4;
                    long from = clock.incrementAndGet();
                    byte[] got = S3DeviceFixture.read(d, offset, n * BLOCK);
                    check("sequential read at " + offset, got, offset, from, clock.incrementAndGet());
                    offset = (offset + n * BLOCK) % SIZE;
                }
            }));
            List<Thread> flushers = new ArrayList<>();
            for (int f = 0; f < FLUSHERS; f++) {
                flushers.add(thread("flusher" + f, new Random(seed + 20 + f), r -> {
                    for (int i = 0; i < FLUSHES && !stop; i++) {
                        Thread.sleep(r.nextInt(50)); // not a timing: lets the writers dirty more objects
                        d.flush();
                        try (S3Device again = volume.open(OpenOptions.readOnly(), 64)) {
                            long generation = again.generation();
                            long at = snapshots.getOrDefault(generation, 0L);
                            check("generation " + generation + " reopened", S3DeviceFixture.read(again, 0, (int) SIZE),
                                    0, at, at);
                        }
                    }
                }));
            }
            for (Thread t : flushers) {
                t.join();
            }
            stop = true;
            for (Thread t : workers) {
                t.join();
            }
            d.flush();
            long now = clock.incrementAndGet();
            System.out.println("workload: " + ids.get() + " block writes, generation " + d.generation() + ", gets "
                    + d.gets + ", puts " + d.puts + ", read-aheads " + d.readAheads + ", hits " + d.cacheHits
                    + ", misses " + d.cacheMisses);
            d.close();
            try (S3Device again = volume.open(OpenOptions.readOnly(), 64)) {
                check("the end, reopened", S3DeviceFixture.read(again, 0, (int) SIZE), 0, now, now);
            }
        }
        assertTrue(errors.isEmpty(), "seed " + seed + ": " + errors.stream().limit(5).toList());
    }
}
