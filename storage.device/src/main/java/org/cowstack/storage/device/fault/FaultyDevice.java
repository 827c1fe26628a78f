package org.cowstack.storage.device.fault;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.device.MediaErrors;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.device.base.WrappingDevice;
import org.cowstack.storage.device.base.PoisonedRanges;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.faulty.WritePause;

/**
 * A device that passes I/O to an inner device and fails it on demand. For power cuts
 * it keeps, for every write since the last flush, what the write replaced, so that a
 * cut can take any of them back.
 */
final class FaultyDevice extends WrappingDevice implements FaultControl, MediaErrors {
    private static final int SECTOR = 512;

    /** A write not yet made durable by a flush: where, what it replaced, what it wrote. */
    private record Pending(long offset, byte[] before, byte[] after) {
    }

    private final List<Pending> pending = new ArrayList<>();
    private Random random = new Random(0);
    private long writes;
    private long failAt = -1;
    private long cutAt = -1;
    private long[] failRange;
    private boolean failRangeReads;
    private boolean failRangeWrites;
    private boolean drop;
    private boolean tear;
    private boolean off;
    private Pause pause;
    private final PoisonedRanges poisoned = new PoisonedRanges();

    FaultyDevice(java.net.URI uri, BlockDevice inner) {
        super(uri, inner);
    }

    private MediaErrorException powerIsOff(long offset, long length) {
        return new MediaErrorException(uri().toString(), offset, length, "the power is off (simulated power cut)");
    }

    private boolean inFailRange(long offset, long length) {
        long[] r = failRange;
        return r != null && offset < r[0] + r[1] && r[0] < offset + length;
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) throws IOException {
        int length = dst.remaining();
        synchronized (this) {
            if (off) {
                throw powerIsOff(offset, length);
            }
            if (failRangeReads && inFailRange(offset, length)) {
                throw new MediaErrorException(uri().toString(), offset, length, "injected read error");
            }
            poisoned.checkRead(uri().toString(), offset, length);
        }
        inner.read(dst, offset);
    }

    /** A pause set by {@link #pauseNextWrite}: armed, then holding one write, then released. */
    private static final class Pause implements WritePause {
        private final long minBytes;
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile long offset = -1;

        Pause(long minBytes) {
            this.minBytes = minBytes;
        }

        void hold(long at) {
            offset = at;
            arrived.countDown();
            try {
                released.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public boolean awaitPaused(Duration timeout) throws InterruptedException {
            return arrived.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public boolean paused() {
            return arrived.getCount() == 0 && released.getCount() > 0;
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public void release() {
            released.countDown();
        }
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) throws IOException {
        Pause p;
        synchronized (this) {
            p = pause;
            if (p != null && (src.remaining() < p.minBytes || p.released.getCount() == 0)) {
                p = null;
            }
            if (p != null) {
                pause = null;
            }
        }
        if (p != null) {
            p.hold(offset); // outside the monitor: other writes and the test go on
        }
        writeNow(src, offset);
    }

    private synchronized void writeNow(ByteBuffer src, long offset) throws IOException {
        int length = src.remaining();
        if (off) {
            throw powerIsOff(offset, length);
        }
        writes++;
        if (failAt == writes) {
            failAt = -1;
            throw new MediaErrorException(uri().toString(), offset, length, "injected failure of write " + writes);
        }
        if (failRangeWrites && inFailRange(offset, length)) {
            throw new MediaErrorException(uri().toString(), offset, length, "injected write error");
        }
        byte[] after = new byte[length];
        src.duplicate().get(after);
        if (drop) {
            src.position(src.limit());
            return;
        }
        byte[] before = new byte[length];
        inner.read(ByteBuffer.wrap(before), offset);
        int applied = tear ? random.nextInt(length / SECTOR + 1) * SECTOR : length;
        if (applied > 0) {
            inner.write(ByteBuffer.wrap(after, 0, applied), offset);
        }
        pending.add(new Pending(offset, before, java.util.Arrays.copyOf(after, applied)));
        src.position(src.limit());
        if (applied > 0) {
            poisoned.clear(offset, applied);
        }
        if (cutAt == writes) {
            cutAt = -1;
            powerCutNow();
            throw powerIsOff(offset, length);
        }
    }

    @Override
    protected synchronized void doFlush() throws IOException {
        if (off) {
            throw powerIsOff(0, size());
        }
        inner.flush();
        pending.clear();
    }

    @Override
    protected synchronized void doDiscard(long offset, long length) throws IOException {
        if (off) {
            throw powerIsOff(offset, length);
        }
        inner.discard(offset, length);
    }



    @Override
    public synchronized long writes() {
        return writes;
    }

    @Override
    public synchronized void failWrite(long n) {
        failAt = writes + n;
    }

    @Override
    public synchronized void failRange(long offset, long length, boolean reads, boolean writes) {
        failRange = new long[] {offset, length};
        failRangeReads = reads;
        failRangeWrites = writes;
    }

    @Override
    public synchronized void dropWrites(boolean on) {
        drop = on;
    }

    @Override
    public synchronized void tearWrites(boolean on) {
        tear = on;
    }

    @Override
    public synchronized void powerCutAtWrite(long n) {
        cutAt = writes + n;
    }

    @Override
    public synchronized void powerCut() {
        try {
            powerCutNow();
        } catch (IOException e) {
            throw new IllegalStateException("the inner device failed during a simulated power cut", e);
        }
    }

    /**
     * Takes back every write since the last flush, newest first, then lets a random
     * subset of them land again, in random order, each whole or torn.
     */
    private void powerCutNow() throws IOException {
        for (int i = pending.size() - 1; i >= 0; i--) {
            Pending p = pending.get(i);
            inner.write(ByteBuffer.wrap(p.before()), p.offset());
        }
        List<Pending> survivors = new ArrayList<>();
        for (Pending p : pending) {
            if (random.nextBoolean()) {
                survivors.add(p);
            }
        }
        Collections.shuffle(survivors, random);
        for (Pending p : survivors) {
            int sectors = p.after().length / SECTOR;
            int kept = random.nextInt(4) == 0 ? random.nextInt(sectors + 1) * SECTOR : p.after().length;
            if (kept > 0) {
                inner.write(ByteBuffer.wrap(p.after(), 0, kept), p.offset());
            }
        }
        inner.flush();
        pending.clear();
        off = true;
    }

    @Override
    public synchronized boolean poweredOff() {
        return off;
    }

    @Override
    public synchronized void seed(long seed) {
        random = new Random(seed);
    }

    @Override
    public synchronized WritePause pauseNextWrite(long minBytes) {
        Pause p = new Pause(minBytes);
        pause = p;
        return p;
    }

    @Override
    public void poison(long offset, long length) {
        poisoned.poison(offset, length);
    }

    @Override
    public void onMediaError(MediaErrors.Listener l) {
        poisoned.listen(l);
    }

    @Override
    public synchronized void clearFaults() {
        poisoned.clearAll();
        if (pause != null) {
            pause.release();
            pause = null;
        }
        failAt = -1;
        cutAt = -1;
        failRange = null;
        drop = false;
        tear = false;
    }
}
