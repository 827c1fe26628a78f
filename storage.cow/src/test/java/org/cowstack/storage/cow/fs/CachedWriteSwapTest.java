package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.bind.VolumeBindings;
import org.cowstack.storage.csum.Crc32c;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, hot swap: a buffered write that lands in the cache is admitted without the
 * checksum algorithm, so writers do not stall while {@code storage.csum} is updated;
 * writeback and commit wait for the algorithm, and the data is checksummed with it once
 * it is back. What such a write meets that needs the algorithm after all waits for it
 * inside the gate.
 */
class CachedWriteSwapTest {
    private static final int BLOCKS = 16;

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    private static ChecksumAlgorithm crc32c() {
        return Volumes.SERVICES.checksum("crc32c");
    }

    private static <T> FutureTask<T> start(Thread[] holder, String name, Callable<T> op) {
        FutureTask<T> task = new FutureTask<>(op);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        holder[0] = t;
        t.start();
        return task;
    }

    /** Waits, at most 10 s, until {@code t} is parked inside {@code VolumeBindings.<method>}. */
    private static void awaitWaitingIn(Thread t, FutureTask<?> task, String method) throws InterruptedException {
        String where = VolumeBindings.class.getName() + "." + method;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (task.isDone()) {
                fail(t.getName() + " finished instead of waiting in " + where);
            }
            Thread.State s = t.getState();
            if ((s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) && Arrays.stream(t.getStackTrace())
                    .anyMatch(f -> (f.getClassName() + "." + f.getMethodName()).equals(where))) {
                return;
            }
            Thread.sleep(1);
        }
        fail(t.getName() + " was not waiting in " + where + " after 10 s");
    }

    @Test
    void aBufferedWriteCompletesWithoutTheChecksumAndWritebackWaitsForIt() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:cached-" + System.nanoTime());
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        CowVolume v = vs.mount(uri, MountOptions.defaults().suspendTimeout(Duration.ofSeconds(30)));
        int bs = v.blockSize();
        byte[] first = pattern(BLOCKS * bs, 3);
        byte[] second = pattern(BLOCKS * bs, 5);
        byte[] partial = pattern(bs / 2, 11);
        try (FileHandle f = v.open("/f", Volumes.RW); FileHandle g = v.open("/g", Volumes.RW)) {
            f.write(ByteBuffer.wrap(first), 0);
            g.write(ByteBuffer.wrap(first), 0);
            v.sync();
            v.core.cache.drop(v.stat("/g").inode(), 0, BLOCKS); // g's pages not cached
            assertTrue(v.swap().checksumGone(crc32c(), null));
            assertEquals(VolumeState.SUSPENDED, v.state());

            long start = System.nanoTime();
            f.write(ByteBuffer.wrap(second), 0); // an overwrite of whole blocks
            f.write(ByteBuffer.wrap(second), (long) BLOCKS * bs); // an append of whole blocks
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 5_000, "the writes did not wait for the algorithm (30 s timeout): " + millis + " ms");
            assertEquals(VolumeState.SUSPENDED, v.state(), "the algorithm is still away");

            Thread[] syncer = new Thread[1];
            FutureTask<Void> sync = start(syncer, "fsync of /f", () -> {
                f.fsync();
                return null;
            });
            awaitWaitingIn(syncer[0], sync, "enter");
            // Half a block of a page not cached: read-modify-write reads and verifies it, so it waits too.
            Thread[] rmw = new Thread[1];
            FutureTask<Integer> update = start(rmw, "partial write of /g", () -> g.write(ByteBuffer.wrap(partial),
                    bs / 4));
            awaitWaitingIn(rmw[0], update, "enter");
            assertFalse(sync.isDone(), "the commit waits for the algorithm");

            assertTrue(v.swap().checksumArrived(0, new Crc32c()));
            sync.get(10, TimeUnit.SECONDS);
            assertEquals(partial.length, update.get(10, TimeUnit.SECONDS));
            v.sync();
        }
        v.unmount();

        CowVolume again = vs.mount(uri);
        byte[] expected = new byte[2 * BLOCKS * bs];
        System.arraycopy(second, 0, expected, 0, second.length);
        System.arraycopy(second, 0, expected, second.length, second.length);
        assertArrayEquals(expected, Volumes.readAll(again, "/f"), "written while the algorithm was away, verified");
        byte[] g = first.clone();
        System.arraycopy(partial, 0, g, bs / 4, partial.length);
        assertArrayEquals(g, Volumes.readAll(again, "/g"));
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    @Test
    void whatAWriteAdmittedWithoutTheChecksumNeedsOfItWaitsForItInsideTheGate() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:await-" + System.nanoTime());
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        CowVolume v = vs.mount(uri, MountOptions.defaults().suspendTimeout(Duration.ofSeconds(30)));
        byte[] data = pattern(4096, 9);
        assertTrue(v.swap().checksumGone(crc32c(), null));
        Thread[] t = new Thread[1];
        FutureTask<byte[]> digest = start(t, "digest inside the gate", () -> v.core.operation(Access.CACHED, () -> {
            byte[] out = new byte[4];
            v.core.checksum.digest(ByteBuffer.wrap(data), out, 0);
            return out;
        }));
        awaitWaitingIn(t[0], digest, "await");
        assertTrue(v.swap().checksumArrived(0, new Crc32c()));
        byte[] expected = new byte[4];
        new Crc32c().digest(ByteBuffer.wrap(data), expected, 0);
        assertArrayEquals(expected, digest.get(10, TimeUnit.SECONDS));
        v.unmount();
    }
    @Test
    void bufferedWritesGoOnWhileTheDepartingChecksumCommits() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:beside-" + System.nanoTime());
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        GatedDevice device = new GatedDevice(vs.provider.open(uri, OpenOptions.readWrite()));
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES,
                MountOptions.defaults().suspendTimeout(Duration.ofSeconds(30)), CowVolume.DEFAULT_CACHE_BYTES);
        int bs = v.blockSize();
        byte[] first = pattern(BLOCKS * bs, 3);
        byte[] second = pattern(BLOCKS * bs, 5);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(ByteBuffer.wrap(first), 0);
            device.holdFlush.set(true); // the unbind's commit waits in its first flush
            Thread[] u = new Thread[1];
            FutureTask<Boolean> unbind = start(u, "unbind of the checksum",
                    () -> v.swap().checksumGone(crc32c(), null));
            try {
                assertTrue(device.flushInside.await(10, TimeUnit.SECONDS),
                        "the unbind commits with the departing algorithm");
                Thread[] w = new Thread[1];
                FutureTask<Integer> write = start(w, "write during the unbind", () -> f.write(ByteBuffer.wrap(second),
                        0));
                assertEquals(second.length, write.get(10, TimeUnit.SECONDS), "a write while that commit holds the gate");
                assertFalse(unbind.isDone(), "the write went on while the unbind committed");
            } finally {
                device.holdFlush.set(false);
                device.flushRelease.countDown();
            }
            assertTrue(unbind.get(10, TimeUnit.SECONDS));
            assertEquals(VolumeState.SUSPENDED, v.state());
            assertTrue(v.swap().checksumArrived(0, new Crc32c()));
            v.sync();
        }
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertArrayEquals(second, Volumes.readAll(again, "/f"));
        assertEquals(List.of(), again.audit());
        again.unmount();
    }
}
