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
    /** Device writes at least this long are file data (metadata nodes are a few KiB). */
    private static final int DATA_WRITE = 256 << 10;

    /** A device whose data writes can be made to meet, or to wait. */
    private static final class Gate implements BlockDevice {
        final BlockDevice d;
        /** While set, a data write waits (at most 10 s) until {@link #meet} data writes are inside at once. */
        final AtomicBoolean meeting = new AtomicBoolean();
        final CountDownLatch meet = new CountDownLatch(2);
        final AtomicBoolean met = new AtomicBoolean(true);
        /** While set, the first data write waits for {@link #release}. */
        final AtomicBoolean hold = new AtomicBoolean();
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        /** While set, the first flush waits for {@link #flushRelease}. */
        final AtomicBoolean holdFlush = new AtomicBoolean();
        final CountDownLatch flushInside = new CountDownLatch(1);
        final CountDownLatch flushRelease = new CountDownLatch(1);

        Gate(BlockDevice d) {
            this.d = d;
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            if (src.remaining() >= DATA_WRITE) {
                if (meeting.get()) {
                    meet.countDown();
                    try {
                        if (!meet.await(10, TimeUnit.SECONDS)) {
                            met.set(false);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    meeting.set(false);
                }
                if (hold.compareAndSet(true, false)) {
                    inside.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            d.write(src, offset);
        }

        @Override
        public URI uri() {
            return d.uri();
        }

        @Override
        public long size() {
            return d.size();
        }

        @Override
        public int blockSize() {
            return d.blockSize();
        }

        @Override
        public Set<DeviceCapability> capabilities() {
            return d.capabilities();
        }

        @Override
        public boolean isReadOnly() {
            return d.isReadOnly();
        }

        @Override
        public void read(ByteBuffer dst, long offset) throws IOException {
            d.read(dst, offset);
        }

        @Override
        public void flush() throws IOException {
            if (holdFlush.compareAndSet(true, false)) {
                flushInside.countDown();
                try {
                    flushRelease.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            d.flush();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            d.discard(offset, length);
        }

        @Override
        public void close() throws IOException {
            d.close();
        }
    }

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
        try (FileHandle f = v.open(path, Volumes.RW)) {
            for (int i = 0; i < mib; i++) {
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

    private static Gate mount(Volumes vs, URI uri) throws IOException {
        vs.mkfs(uri, 256L << 20, FormatOptions.defaults());
        return new Gate(vs.provider.open(uri, OpenOptions.readWrite()));
    }

    @Test
    void twoStreamsWriteTheirDataSideBySide() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:side-by-side-" + System.nanoTime());
        Gate device = mount(vs, uri);
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES, MountOptions.defaults(),
                CowVolume.DEFAULT_CACHE_BYTES);
        device.meeting.set(true);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = pool.submit(() -> {
                stream(v, "/a", 1, 12, true);
                return null;
            });
            Future<?> b = pool.submit(() -> {
                stream(v, "/b", 2, 12, true);
                return null;
            });
            a.get(60, TimeUnit.SECONDS);
            b.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(device.met.get(), "a data write of one stream waited 10 s for the other's: writebacks one at a time");
        assertStream(v, "/a", 1, 12);
        assertStream(v, "/b", 2, 12);
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertStream(again, "/a", 1, 12);
        assertStream(again, "/b", 2, 12);
        again.unmount();
    }

    @Test
    void aCommitWaitsForWritebackDataOnItsWay() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:commit-waits-" + System.nanoTime());
        Gate device = mount(vs, uri);
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
        Gate device = mount(vs, uri);
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
