package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;

/**
 * A device whose data writes (writes of at least {@link #DATA_WRITE} bytes; metadata
 * nodes are a few KiB) can be made to meet, or to wait, and whose first flush can be
 * made to wait: for tests of what runs while a writeback or a commit writes file data
 * or flushes.
 */
final class GatedDevice implements BlockDevice {
    /** Device writes at least this long are file data. */
    static final int DATA_WRITE = 256 << 10;

    final BlockDevice d;
    /** While set, a data write waits (at most 10 s) until {@link #meet} data writes are inside at once. */
    final AtomicBoolean meeting = new AtomicBoolean();
    final CountDownLatch meet = new CountDownLatch(2);
    final AtomicBoolean met = new AtomicBoolean(true);
    /** While set, the first data write waits for {@link #release}. */
    final AtomicBoolean hold = new AtomicBoolean();
    volatile CountDownLatch inside = new CountDownLatch(1);
    volatile CountDownLatch release = new CountDownLatch(1);

    /** While set, the first flush waits for {@link #flushRelease}. */
    final AtomicBoolean holdFlush = new AtomicBoolean();
    final CountDownLatch flushInside = new CountDownLatch(1);
    final CountDownLatch flushRelease = new CountDownLatch(1);

    /** Arms {@link #hold} again: fresh latches for the next held data write. */
    void resetHold() {
        inside = new CountDownLatch(1);
        release = new CountDownLatch(1);
    }

    GatedDevice(BlockDevice d) {
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
