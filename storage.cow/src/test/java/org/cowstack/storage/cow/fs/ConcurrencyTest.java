package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Threads writing their own files (buffered and direct), reading them back, while
 * another thread commits and others list and stat: no deadlock, no lost or torn data,
 * clean accounting.
 */
class ConcurrencyTest {
    @Test
    void writersReadersAndCommitsTogether() throws Exception {
        long seed = Seeds.seed("ConcurrencyTest");
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:concurrency");
        CowVolume v = volumes.fresh(uri, 128 << 20);
        int writers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        AtomicBoolean done = new AtomicBoolean();
        try {
            List<Future<byte[]>> models = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                String path = "/w" + t;
                long threadSeed = seed + t;
                models.add(pool.submit(() -> {
                    Random r = new Random(threadSeed);
                    byte[] model = new byte[0];
                    try (FileHandle f = v.open(path, Volumes.RW)) {
                        for (int op = 0; op < 300; op++) {
                            int kind = r.nextInt(10);
                            if (kind < 5) {
                                int len = 1 + r.nextInt(50_000);
                                int off = r.nextInt(2 << 20);
                                byte[] data = new byte[len];
                                r.nextBytes(data);
                                f.write(ByteBuffer.wrap(data), off);
                                model = apply(model, off, data);
                            } else if (kind < 7) {
                                int blocks = 1 + r.nextInt(8);
                                int off = r.nextInt(512) * 4096;
                                byte[] data = new byte[blocks * 4096];
                                r.nextBytes(data);
                                f.writeDirect(ByteBuffer.wrap(data), off);
                                model = apply(model, off, data);
                            } else if (kind < 8) {
                                int size = r.nextInt(3 << 20);
                                f.truncate(size);
                                model = Arrays.copyOf(model, size);
                            } else if (model.length > 0) {
                                int off = r.nextInt(model.length);
                                int len = 1 + r.nextInt(Math.min(64_000, model.length - off));
                                ByteBuffer got = ByteBuffer.allocate(len);
                                f.read(got, off);
                                assertArrayEquals(Arrays.copyOfRange(model, off, off + len), got.array(),
                                        path + " op " + op + " (seed " + seed + ")");
                            }
                        }
                    }
                    return model;
                }));
            }
            Future<?> committer = pool.submit(() -> {
                while (!done.get()) {
                    v.sync();
                    Thread.sleep(5);
                }
                return null;
            });
            Future<?> lister = pool.submit(() -> {
                while (!done.get()) {
                    v.list("/").forEach(e -> {
                        try {
                            v.stat("/" + e.name());
                        } catch (java.io.IOException ex) {
                            throw new java.io.UncheckedIOException(ex);
                        }
                    });
                    v.space();
                }
                return null;
            });
            List<byte[]> results = new ArrayList<>();
            for (Future<byte[]> m : models) {
                results.add(m.get(5, TimeUnit.MINUTES));
            }
            done.set(true);
            committer.get(1, TimeUnit.MINUTES);
            lister.get(1, TimeUnit.MINUTES);
            v.unmount();
            CowVolume again = volumes.mount(uri);
            for (int t = 0; t < writers; t++) {
                assertArrayEquals(results.get(t), Volumes.readAll(again, "/w" + t), "/w" + t + " (seed " + seed + ")");
            }
            assertEquals(List.of(), again.audit());
            again.unmount();
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
    }

    private static byte[] apply(byte[] content, long offset, byte[] data) {
        byte[] out = Arrays.copyOf(content, (int) Math.max(content.length, offset + data.length));
        System.arraycopy(data, 0, out, (int) offset, data.length);
        return out;
    }


    /**
     * Dedupe of a file against a copy while a writer changes the copy and a reader reads
     * it: every block always reads as one whole write (never torn), no acknowledged write
     * is lost to a dedupe that compared before it, and the source never changes.
     */
    @Test
    void dedupeRacesWritersWithoutTearingOrLosingAWrite() throws Exception {
        long seed = Seeds.seed("ConcurrencyTest.dedupe");
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:dedupeRace");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        int blocks = 64;
        byte[] original = new byte[blocks * 4096];
        Arrays.fill(original, (byte) 0x41);
        Volumes.write(v, "/a", 0, original);
        Volumes.write(v, "/b", 0, original);
        v.sync();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        AtomicBoolean done = new AtomicBoolean();
        try {
            Future<byte[]> writer = pool.submit(() -> {
                Random r = new Random(seed);
                byte[] model = original.clone();
                try (FileHandle b = v.open("/b", Volumes.RW)) {
                    for (int op = 0; op < 400; op++) {
                        int first = r.nextInt(blocks - 4);
                        int n = 1 + r.nextInt(4);
                        byte value = (byte) (r.nextBoolean() ? 0x41 : 0x42 + r.nextInt(50));
                        byte[] data = new byte[n * 4096];
                        Arrays.fill(data, value);
                        if (r.nextBoolean()) {
                            b.writeDirect(ByteBuffer.wrap(data), first * 4096L);
                        } else {
                            b.write(ByteBuffer.wrap(data), first * 4096L);
                        }
                        System.arraycopy(data, 0, model, first * 4096, data.length);
                        if (op % 50 == 0) {
                            b.fsync();
                        }
                    }
                }
                return model;
            });
            Future<Integer> reader = pool.submit(() -> {
                int reads = 0;
                try (FileHandle b = v.open("/b", Volumes.RW)) {
                    ByteBuffer buf = ByteBuffer.allocate(blocks * 4096);
                    while (!done.get()) {
                        buf.clear();
                        b.read(buf, 0);
                        byte[] got = buf.array();
                        for (int k = 0; k < blocks; k++) {
                            for (int i = 1; i < 4096; i++) {
                                if (got[k * 4096 + i] != got[k * 4096]) {
                                    throw new AssertionError("block " + k + " torn (seed " + seed + ")");
                                }
                            }
                        }
                        reads++;
                    }
                }
                return reads;
            });
            int shared = 0;
            try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
                while (!writer.isDone()) {
                    if (b.dedupeRange(a, 0, 0, blocks * 4096L).bytesDeduped() > 0) {
                        shared++;
                    }
                    int k = new Random(shared).nextInt(blocks);
                    if (!b.dedupeRange(a, k * 4096L, k * 4096L, 4096).differs()) {
                        shared++;
                    }
                }
            }
            byte[] model = writer.get(60, TimeUnit.SECONDS);
            done.set(true);
            int reads = reader.get(60, TimeUnit.SECONDS);
            assertArrayEquals(model, Volumes.readAll(v, "/b"), "seed " + seed);
            assertArrayEquals(original, Volumes.readAll(v, "/a"), "the source never changes (seed " + seed + ")");
            System.out.printf("dedupe race: %d dedupes shared something, %d full reads checked%n", shared, reads);
            assertEquals(List.of(), v.audit());
            v.unmount();
            CowVolume again = volumes.mount(uri);
            assertArrayEquals(model, Volumes.readAll(again, "/b"), "after remount (seed " + seed + ")");
            again.unmount();
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
    }
}
