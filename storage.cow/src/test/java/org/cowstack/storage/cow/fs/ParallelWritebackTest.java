package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, parallel writers: the write-behind of one streaming file goes to the device
 * while another file's does (writebacks place their pages one at a time but write
 * without the commit lock), and a commit still waits for every such write before it
 * makes the trees that map those blocks durable. While a commit flushes, streams go on
 * writing back into the next transaction; the next commit waits for the first.
 */
class ParallelWritebackTest {
    private static final int MIB = 1 << 20;


    private static byte[] mebibyte(int file, int index) {
        byte[] b = new byte[MIB];
        for (int i = 0; i < b.length; i += 512) {
            b[i] = (byte) (file * 31 + index);
            b[i + 1] = (byte) (i >> 9);
        }
        return b;
    }

    /** Writes {@code mib} MiB to {@code path} in 1 MiB calls: a stream, written behind after 4 MiB. */
    private static void stream(CowVolume v, String path, int file, int mib, boolean fsync) throws IOException {
        stream(v, path, file, mib, fsync, () -> { });
    }

    /** As above, running {@code halfway} after the first half of the stream. */
    private static void stream(CowVolume v, String path, int file, int mib, boolean fsync, Runnable halfway)
            throws IOException {
        try (FileHandle f = v.open(path, Volumes.RW)) {
            for (int i = 0; i < mib; i++) {
                if (i == mib / 2) {
                    halfway.run();
                }
                f.write(ByteBuffer.wrap(mebibyte(file, i)), (long) i * MIB);
            }
            if (fsync) {
                f.fsync();
            }
        }
    }

    private static void assertStream(CowVolume v, String path, int file, int mib) throws IOException {
        byte[] all = Volumes.readAll(v, path);
        for (int i = 0; i < mib; i++) {
            byte[] got = java.util.Arrays.copyOfRange(all, i * MIB, (i + 1) * MIB);
            assertArrayEquals(mebibyte(file, i), got, path + " MiB " + i);
        }
    }

    /** Waits (at most 10 s) until a data write waits inside the device for a second one. */
    private static void firstDataWriteInside(GatedDevice device) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (device.meet.getCount() > 1 && device.meeting.get() && System.nanoTime() < until) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private static GatedDevice mount(Volumes vs, URI uri) throws IOException {
        vs.mkfs(uri, 256L << 20, FormatOptions.defaults());
        return new GatedDevice(vs.provider.open(uri, OpenOptions.readWrite()));
    }

    @Test
    void twoStreamsWriteTheirDataSideBySide() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:side-by-side-" + System.nanoTime());
        GatedDevice device = mount(vs, uri);
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES, MountOptions.defaults(),
                CowVolume.DEFAULT_CACHE_BYTES);
        device.meeting.set(true);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // A stream's write-behind is skipped while the other places its pages (it does not
            // wait for the commit lock), so each stream, halfway, waits until a data write is
            // inside the device: the other then still has write-behinds to come, and finds
            // the lock free, since that data write runs without it. Without the wait, a
            // stream could end and fsync (a commit, which waits for writes in flight) before
            // any of its writes reached the device.
            Future<?> a = pool.submit(() -> {
                stream(v, "/a", 1, 16, true, () -> firstDataWriteInside(device));
                return null;
            });
            Future<?> b = pool.submit(() -> {
                stream(v, "/b", 2, 16, true, () -> firstDataWriteInside(device));
                return null;
            });
            a.get(60, TimeUnit.SECONDS);
            b.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(device.met.get(), "a data write of one stream waited 10 s for the other's: writebacks one at a time");
        assertStream(v, "/a", 1, 16);
        assertStream(v, "/b", 2, 16);
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertStream(again, "/a", 1, 16);
        assertStream(again, "/b", 2, 16);
        again.unmount();
    }

    @Test
    void aCommitWaitsForWritebackDataOnItsWay() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:commit-waits-" + System.nanoTime());
        GatedDevice device = mount(vs, uri);
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES, MountOptions.defaults(),
                CowVolume.DEFAULT_CACHE_BYTES);
        device.hold.set(true);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // The fifth MiB's write writes the first four behind: its first data write is held.
            Future<?> streaming = pool.submit(() -> {
                stream(v, "/a", 1, 6, false);
                return null;
            });
            assertTrue(device.inside.await(30, TimeUnit.SECONDS), "the stream's write-behind reached the device");
            Future<?> syncing = pool.submit(() -> {
                stream(v, "/b", 2, 1, true);
                return null;
            });
            Thread.sleep(300);
            assertFalse(syncing.isDone(), "an fsync committed while writeback data of its transaction was held");
            device.release.countDown();
            syncing.get(30, TimeUnit.SECONDS);
            streaming.get(30, TimeUnit.SECONDS);
        } finally {
            device.release.countDown();
            pool.shutdownNow();
        }
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertStream(again, "/a", 1, 6);
        assertStream(again, "/b", 2, 1);
        again.unmount();
    }

    @Test
    void streamsWriteBackWhileACommitFlushes() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:beside-a-commit-" + System.nanoTime());
        GatedDevice device = mount(vs, uri);
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES, MountOptions.defaults(),
                CowVolume.DEFAULT_CACHE_BYTES);
        device.holdFlush.set(true);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?> syncing = pool.submit(() -> {
                stream(v, "/b", 2, 1, true);
                return null;
            });
            assertTrue(device.flushInside.await(30, TimeUnit.SECONDS), "the fsync's commit flushes");
            // Twelve MiB: two write-behinds, placed in the next transaction and written.
            pool.submit(() -> {
                stream(v, "/a", 1, 12, false);
                return null;
            }).get(30, TimeUnit.SECONDS);
            Future<?> second = pool.submit(() -> {
                stream(v, "/c", 3, 1, true);
                return null;
            });
            Thread.sleep(300);
            assertFalse(syncing.isDone(), "the first commit's flush is held");
            assertFalse(second.isDone(), "a second commit went ahead of the first");
            device.flushRelease.countDown();
            syncing.get(30, TimeUnit.SECONDS);
            second.get(30, TimeUnit.SECONDS);
        } finally {
            device.flushRelease.countDown();
            pool.shutdownNow();
        }
        v.sync();
        assertStream(v, "/a", 1, 12);
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertStream(again, "/a", 1, 12);
        assertStream(again, "/b", 2, 1);
        assertStream(again, "/c", 3, 1);
        again.unmount();
    }
}
