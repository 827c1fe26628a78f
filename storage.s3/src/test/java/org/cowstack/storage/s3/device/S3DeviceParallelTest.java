package org.cowstack.storage.s3.device;

import static org.cowstack.storage.s3.device.S3DeviceFixture.OBJECT;
import static org.cowstack.storage.s3.device.S3DeviceFixture.bytes;
import static org.cowstack.storage.s3.device.S3DeviceFixture.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.s3.client.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfers of an {@code s3:} device on different objects overlap (proved by latches in
 * the GET hook: a GET waits there until the other one is in flight too, which a lock held
 * across a transfer forbids), read-ahead follows sequential streams only, and stays
 * within the cache's bound. Against a real S3 server (s3proxy).
 */
class S3DeviceParallelTest {
    private static final long SIZE = 4L << 20;
    private static final int N = 32;
    /** How long a GET waits for the other one to overlap it: only a broken device waits that long. */
    private static final long OVERLAP_SECONDS = 10;
    @TempDir
    static Path dir;
    static S3Proxy server;
    static int run;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private S3DeviceFixture volume;
    private byte[] content;

    @BeforeAll
    static void start() throws Exception {
        server = S3Proxy.start(dir);
        server.client("bucket").createBucket();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void create() throws IOException {
        volume = new S3DeviceFixture(server, dir, "run" + ++run);
        content = volume.create(SIZE, N);
    }

    @AfterEach
    void shutdown() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS));
    }

    private byte[] expected(long offset, int n) {
        return Arrays.copyOfRange(content, (int) offset, (int) offset + n);
    }

    /** A hook in which {@code parties} GETs wait for each other: they must all be in flight at once. */
    private static S3Device.GetHook overlap(int parties) {
        CountDownLatch all = new CountDownLatch(parties);
        return (index, whole) -> {
            all.countDown();
            try {
                if (!all.await(OVERLAP_SECONDS, TimeUnit.SECONDS)) {
                    throw new IOException("GET of object " + index + " alone: the others did not overlap it");
                }
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
        };
    }

    @Test
    void readersOfDifferentMissingObjectsFetchInParallel() throws Exception {
        try (S3Device d = volume.open(OpenOptions.readOnly(), 16)) {
            d.getHook = overlap(2);
            Future<byte[]> a = threads.submit(() -> read(d, OBJECT + 4096, 8192));
            Future<byte[]> b = threads.submit(() -> read(d, 5L * OBJECT + 4096, 8192));
            assertArrayEquals(expected(OBJECT + 4096, 8192), a.get());
            assertArrayEquals(expected(5L * OBJECT + 4096, 8192), b.get());
            assertEquals(2, d.gets.get());
            assertEquals(2, d.cacheMisses.get());
            assertEquals(0, d.readAheads.get());
        }
    }

    @Test
    void aReadSpanningMissingObjectsFetchesThemInParallel() throws Exception {
        try (S3Device d = volume.open(OpenOptions.readOnly(), 16)) {
            d.getHook = overlap(3);
            long at = 2L * OBJECT + OBJECT / 2;
            assertArrayEquals(expected(at, 2 * OBJECT), read(d, at, 2 * OBJECT)); // 3 objects
            assertEquals(3, d.gets.get());
        }
    }

    @Test
    void aWriteFetchingItsObjectNeitherBlocksReadsOfOthersNorIsFetchedTwice() throws Exception {
        try (S3Device d = volume.open(OpenOptions.readWrite(), 16)) {
            CountDownLatch inFetch = new CountDownLatch(1);
            CountDownLatch readDone = new CountDownLatch(1);
            ConcurrentHashMap<Long, AtomicInteger> getsOf = new ConcurrentHashMap<>();
            d.getHook = (index, whole) -> {
                getsOf.computeIfAbsent(index, i -> new AtomicInteger()).incrementAndGet();
                if (whole && index == 2) {
                    inFetch.countDown();
                    try {
                        if (!readDone.await(OVERLAP_SECONDS, TimeUnit.SECONDS)) {
                            throw new IOException("the read of another object waited for this fetch");
                        }
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
            };
            byte[] written = bytes(4096, 77);
            Future<?> writer = threads.submit(() -> {
                d.write(ByteBuffer.wrap(written), 2L * OBJECT + 8192); // a part: read-modify-write
                return null;
            });
            assertTrue(inFetch.await(OVERLAP_SECONDS, TimeUnit.SECONDS));
            // a reader of the object being fetched waits for that fetch (no GET of its own) ...
            Future<byte[]> same = threads.submit(() -> read(d, 2L * OBJECT, 8192));
            // ... while a reader of another object goes on
            assertArrayEquals(expected(6L * OBJECT, 4096), read(d, 6L * OBJECT, 4096));
            readDone.countDown();
            writer.get();
            assertArrayEquals(expected(2L * OBJECT, 8192), same.get());
            assertEquals(1, getsOf.get(2L).get(), "one GET of object 2, shared");
            assertArrayEquals(written, read(d, 2L * OBJECT + 8192, 4096));
        }
    }

    @Test
    void aSequentialStreamReadsAheadAndThenHitsTheCacheWhileRandomReadsDoNot() throws Exception {
        try (S3Device d = volume.open(OpenOptions.readOnly(), N)) {
            int chunk = OBJECT / 4;
            for (long at = 0; at < (long) N * OBJECT; at += chunk) {
                assertArrayEquals(expected(at, chunk), read(d, at, chunk), "at " + at);
            }
            System.out.println("sequential " + N + " objects in " + 4 * N + " reads: gets " + d.gets
                    + ", read-aheads " + d.readAheads + ", hits " + d.cacheHits + ", misses " + d.cacheMisses);
            assertTrue(d.readAheads.get() >= N - 1, "read-ahead fetched the stream's objects: " + d.readAheads);
            assertTrue(d.gets.get() <= N + 1, "each object fetched once (and the first piece): " + d.gets);
            assertTrue(d.cacheHits.get() >= 2L * N, "hits " + d.cacheHits);
        }
        try (S3Device d = volume.open(OpenOptions.readOnly(), N)) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(5));
            for (int i : order) { // a piece inside each object: no read starts where another ended
                long at = (long) i * OBJECT + 4096;
                assertArrayEquals(expected(at, 4096), read(d, at, 4096));
            }
            assertEquals(0, d.readAheads.get(), "random reads read no ahead");
            assertEquals(N, d.gets.get());
            assertEquals(N, d.cacheMisses.get());
        }
    }

    @Test
    void readAheadStaysWithinTheCacheAndNeverEvictsDirtyObjects() throws Exception {
        int slots = 8;
        byte[] dirty = bytes(8 * 4096, 9);
        try (S3Device d = volume.open(OpenOptions.readWrite(), slots)) {
            for (int i = 0; i < 6; i++) { // 6 of 8 slots dirty
                d.write(ByteBuffer.wrap(dirty, i * 4096, 4096), (long) i * OBJECT + 4096);
            }
            long puts = d.puts.get();
            int chunk = OBJECT / 2;
            for (long at = 8L * OBJECT; at < 20L * OBJECT; at += chunk) {
                assertArrayEquals(expected(at, chunk), read(d, at, chunk), "at " + at);
            }
            long ahead = d.readAheads.get();
            assertTrue(ahead > 0, "read ahead into the 2 clean slots");
            assertEquals(6, d.cache.dirtyCount(), "no dirty object evicted");
            assertEquals(puts, d.puts.get(), "none uploaded early to make room");
            assertTrue(d.cache.fileBytes() <= (long) slots * OBJECT, "cache file " + d.cache.fileBytes());
            assertEquals(slots, d.cache.slots());
            for (int i = 6; i < 8; i++) { // every slot dirty
                d.write(ByteBuffer.wrap(dirty, i * 4096, 4096), (long) i * OBJECT + 4096);
            }
            for (long at = 20L * OBJECT; at < 26L * OBJECT; at += chunk) {
                assertArrayEquals(expected(at, chunk), read(d, at, chunk), "at " + at);
            }
            assertEquals(ahead, d.readAheads.get(), "no read-ahead into a cache full of dirty objects");
            assertEquals(8, d.cache.dirtyCount());
            assertTrue(d.cache.fileBytes() <= (long) slots * OBJECT, "cache file " + d.cache.fileBytes());
            d.flush();
        }
        try (S3Device d = volume.open(OpenOptions.readOnly(), slots)) {
            for (int i = 0; i < 8; i++) {
                assertArrayEquals(Arrays.copyOfRange(dirty, i * 4096, i * 4096 + 4096),
                        read(d, (long) i * OBJECT + 4096, 4096));
                assertArrayEquals(expected((long) i * OBJECT, 4096), read(d, (long) i * OBJECT, 4096));
            }
        }
    }

    @Test
    void anObjectZeroedEarlyReadsAsZerosOnceItLeftTheCache() throws Exception {
        try (S3Device d = volume.open(OpenOptions.readWrite(), 2)) {
            d.write(ByteBuffer.wrap(new byte[OBJECT]), 0); // object 0 all zeros now, dirty
            d.write(ByteBuffer.wrap(bytes(4096, 3)), OBJECT); // object 1: the cache is full of dirty objects
            d.write(ByteBuffer.wrap(bytes(4096, 4)), 2L * OBJECT); // object 0 uploaded early (zeroed), evicted
            assertArrayEquals(new byte[OBJECT], read(d, 0, OBJECT));
        }
    }

    @Test
    void aFailedOrStuckReadAheadNeitherFailsReadsNorHangsClose() throws Exception {
        try (S3Device d = volume.open(OpenOptions.readOnly(), N)) {
            d.getHook = (index, whole) -> {
                if (whole && index % 2 == 0) {
                    throw new IOException("injected failure of a background fetch of object " + index);
                }
            };
            int chunk = OBJECT / 4;
            for (long at = 0; at < 8L * OBJECT; at += chunk) {
                assertArrayEquals(expected(at, chunk), read(d, at, chunk), "at " + at);
            }
            assertTrue(d.readAheads.get() > 0);
        }
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        S3Device d = volume.open(OpenOptions.readOnly(), N);
        d.getHook = (index, whole) -> {
            if (whole && index >= 3) { // stuck until close interrupts it
                stuck.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw new java.io.InterruptedIOException("fetch of object " + index + " cancelled");
                }
            }
        };
        int chunk = OBJECT / 4;
        for (long at = 0; at < 2L * OBJECT; at += chunk) { // the window grows to 4: objects 3 and 4 ahead
            assertArrayEquals(expected(at, chunk), read(d, at, chunk), "at " + at);
        }
        assertTrue(stuck.await(OVERLAP_SECONDS, TimeUnit.SECONDS), "read-ahead reached object 3");
        Future<?> close = threads.submit(() -> {
            d.close();
            return null;
        });
        close.get(OVERLAP_SECONDS, TimeUnit.SECONDS); // close cancelled the stuck fetches
        assertTrue(interrupted.await(0, TimeUnit.SECONDS));
    }
}
