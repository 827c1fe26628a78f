package org.cowstack.storage.dax;

import org.cowstack.storage.api.device.DirectAccess;
import org.cowstack.storage.api.device.MediaErrors;
import org.cowstack.storage.dax.faults.Poisoning;
import org.cowstack.storage.device.base.PoisonedRanges;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.device.base.AbstractBlockDevice;
import org.cowstack.storage.device.base.BackingFile;
import org.cowstack.storage.device.base.TiledMemory;

/**
 * A device whose bytes are a memory mapping of its image file. Reads and writes are
 * memory copies; {@link #flush()} forces exactly the ranges written since the previous
 * flush. Closing waits for transfers in progress, then unmaps every tile at once, except
 * tiles that {@link #view views} were taken of: those are unmapped by the collector when
 * the last view is gone, so a view kept too long never touches unmapped memory.
 */
final class DaxDevice extends AbstractBlockDevice implements MediaErrors, Poisoning, DirectAccess {
    static final int BLOCK_SIZE = 512;

    private final BackingFile file;
    private final TiledMemory mapping;
    private final MapMode mode;
    private final DirtyRanges dirty = new DirtyRanges();
    private final AtomicLong forcedBytes = new AtomicLong();
    private final PoisonedRanges poisoned = new PoisonedRanges();

    DaxDevice(URI uri, BackingFile file, TiledMemory mapping, MapMode mode, Set<DeviceCapability> capabilities) {
        super(uri, mapping.size(), BLOCK_SIZE, mode == MapMode.READ_ONLY, capabilities);
        this.file = file;
        this.mapping = mapping;
        this.mode = mode;
    }

    /** The mapping obtained: {@code sync}, {@code shared} or {@code read-only}. */
    MapMode mode() {
        return mode;
    }

    /** Ranges written and not yet flushed, as {start, end} pairs. */
    List<long[]> dirtyRanges() {
        return dirty.snapshot();
    }

    /** Bytes forced by flushes so far. */
    long forcedBytes() {
        return forcedBytes.get();
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) throws IOException {
        poisoned.checkRead(uri().toString(), offset, dst.remaining());
        mapping.read(dst, offset);
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) {
        int length = src.remaining();
        // Mark before copying: a flush that starts during the copy either forces this
        // range or leaves it dirty for the next flush; it never misses it.
        dirty.add(offset, offset + length);
        mapping.write(src, offset);
        poisoned.clear(offset, length);
    }

    @Override
    public ByteBuffer view(long offset, int length) throws IOException {
        return guarded("view", offset, length, () -> {
            poisoned.checkRead(uri().toString(), offset, length);
            return mapping.view(offset, length);
        });
    }

    @Override
    public void flush(long offset, long length) throws IOException {
        guarded("flush", offset, length, () -> {
            if (!isReadOnly()) { // read-only: nothing to force, but the range and the device are checked
                force(offset, offset + length);
            }
            return null;
        });
    }

    /** Forces {@code [start, end)} of the mapping, tile by tile. */
    private void force(long start, long end) {
        int shift = mapping.tileShift();
        long tileMask = (1L << shift) - 1;
        while (start < end) {
            int tile = (int) (start >>> shift);
            int within = (int) (start & tileMask);
            MappedByteBuffer buffer = (MappedByteBuffer) mapping.tile(tile);
            int n = (int) Math.min(end - start, buffer.capacity() - within);
            buffer.force(within, n);
            forcedBytes.addAndGet(n);
            start += n;
        }
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
    protected void doFlush() throws IOException {
        List<long[]> ranges = dirty.drain();
        for (int i = 0; i < ranges.size(); i++) {
            long start = ranges.get(i)[0];
            long end = ranges.get(i)[1];
            try {
                force(start, end);
            } catch (RuntimeException e) {
                // Not forced: keep this range and the rest dirty for the next flush.
                dirty.add(start, end);
                for (int j = i + 1; j < ranges.size(); j++) {
                    dirty.add(ranges.get(j)[0], ranges.get(j)[1]);
                }
                throw new IOException("msync failed: " + e.getMessage(), e);
            }
        }
    }

    @Override
    protected void doClose() throws IOException {
        try {
            mapping.release();
        } finally {
            file.close();
        }
    }

    @Override
    protected void removeCreatedStore() throws IOException {
        file.removeCreated();
    }

    @Override
    public String toString() {
        return uri() + " (" + mode + " mapping)";
    }
}
