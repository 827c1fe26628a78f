package org.cowstack.storage.device.base;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;

/**
 * What every backend shares: the alignment and range checks, the read-only check, the
 * translation of backend I/O errors into media errors, and a life cycle in which
 * {@link #close()} waits for transfers in progress and every later call fails with
 * {@link OfflineException}. That wait is what makes unmapping memory safe: no
 * transfer can touch a mapping after it is released.
 *
 * <p>Subclasses implement the {@code do*} methods, which are only called with the
 * range checked and the device open.
 *
 * <p>{@link #closeAndRemoveCreated()} closes and then calls {@link #removeCreatedStore()},
 * which removes the backing store if this very open created it, before the provider
 * lets another opener in.
 */
public abstract class AbstractBlockDevice implements BlockDevice {
    private final URI uri;
    private final long size;
    private final int blockSize;
    private final boolean readOnly;
    private final Set<DeviceCapability> capabilities;
    /** Transfers hold the read side; close takes the write side. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile Runnable onClose = () -> { };

    protected AbstractBlockDevice(URI uri, long size, int blockSize, boolean readOnly,
            Set<DeviceCapability> capabilities) {
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("blockSize: " + blockSize + " (expected: power of two >= 512)");
        }
        if (size <= 0 || size % blockSize != 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: positive multiple of " + blockSize + ")");
        }
        this.uri = uri;
        this.size = size;
        this.blockSize = blockSize;
        this.readOnly = readOnly;
        this.capabilities = capabilities.isEmpty() ? Set.of()
                : Collections.unmodifiableSet(EnumSet.copyOf(capabilities));
    }

    /** Called once, after the device is closed: the provider forgets it there. */
    public final void onClose(Runnable action) {
        this.onClose = action;
    }

    @Override
    public final URI uri() {
        return uri;
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public final int blockSize() {
        return blockSize;
    }

    @Override
    public final Set<DeviceCapability> capabilities() {
        return capabilities;
    }

    @Override
    public final boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public final void read(ByteBuffer dst, long offset) throws IOException {
        int length = dst.remaining();
        checkRange(offset, length);
        transfer("read", offset, length, () -> doRead(dst, offset));
    }

    @Override
    public final void write(ByteBuffer src, long offset) throws IOException {
        int length = src.remaining();
        checkWritable();
        checkRange(offset, length);
        transfer("write", offset, length, () -> doWrite(src, offset));
    }

    @Override
    public final void flush() throws IOException {
        // Read-only: nothing to make durable, but a closed device still refuses.
        transfer("flush", 0, size, readOnly ? () -> { } : this::doFlush);
    }

    @Override
    public final void discard(long offset, long length) throws IOException {
        checkWritable();
        checkRange(offset, length);
        transfer("discard", offset, length, () -> doDiscard(offset, length));
    }

    @FunctionalInterface
    private interface Io {
        void run() throws IOException;
    }

    /** What a backend's own operation computes, while the device is open (see {@link #guarded}). */
    @FunctionalInterface
    protected interface Op<T> {
        T run() throws IOException;
    }

    /**
     * Runs an operation of the backend's own (beyond the {@link BlockDevice} calls) on a
     * range, as those run: the range checked as a transfer's, the device held open, and
     * failures turned into the contract's exceptions.
     */
    protected final <T> T guarded(String op, long offset, long length, Op<T> body) throws IOException {
        checkRange(offset, length);
        Object[] result = new Object[1];
        transfer(op, offset, length, () -> result[0] = body.run());
        @SuppressWarnings("unchecked")
        T t = (T) result[0];
        return t;
    }

    /**
     * Runs one operation while the device is open, and turns what the backend throws
     * into the contract's exceptions: storage exceptions pass, any other failure is a
     * media error naming the operation and range.
     */
    private void transfer(String op, long offset, long length, Io io) throws IOException {
        Lock open = enter();
        try {
            io.run();
        } catch (StorageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new MediaErrorException(uri.toString(), offset, length, op + " failed: " + detail, e);
        } finally {
            open.unlock();
        }
    }

    @Override
    public final void close() throws IOException {
        close(false);
    }

    @Override
    public final void closeAndRemoveCreated() throws IOException {
        close(true);
    }

    private void close(boolean removeCreated) throws IOException {
        Lock exclusive = lifecycle.writeLock();
        boolean closing = false;
        exclusive.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
            doClose(removeCreated); // the store removed before the provider lets another opener in
        } finally {
            exclusive.unlock();
            if (closing) {
                onClose.run(); // even when doClose failed: the device is gone either way
            }
        }
    }

    /** True once {@link #close()} has begun. */
    protected final boolean isClosed() {
        return closed;
    }

    private Lock enter() throws OfflineException {
        Lock shared = lifecycle.readLock();
        shared.lock();
        if (closed) {
            shared.unlock();
            throw new OfflineException(uri.toString());
        }
        return shared;
    }

    private void checkWritable() throws StorageException {
        if (readOnly) {
            throw new ReadOnlyException(uri.toString());
        }
        if (closed) {
            throw new OfflineException(uri.toString());
        }
    }

    private void checkRange(long offset, long length) throws InvalidArgumentException {
        if (offset < 0 || offset % blockSize != 0) {
            throw new InvalidArgumentException("offset on " + uri, offset,
                    "a multiple of the block size " + blockSize + ", >= 0");
        }
        if (length % blockSize != 0) {
            throw new InvalidArgumentException("length on " + uri, length,
                    "a multiple of the block size " + blockSize);
        }
        if (length < 0 || length > size - offset) {
            throw new InvalidArgumentException("range on " + uri, offset + "+" + length,
                    "within the device size " + size);
        }
    }

    /** Transfers exactly {@code dst.remaining()} bytes, advancing its position to its limit. */
    protected abstract void doRead(ByteBuffer dst, long offset) throws IOException;

    /** Transfers exactly {@code src.remaining()} bytes, advancing its position to its limit. */
    protected abstract void doWrite(ByteBuffer src, long offset) throws IOException;

    protected abstract void doFlush() throws IOException;

    /** A hint; the default does nothing, which the contract allows. */
    protected void doDiscard(long offset, long length) throws IOException {
    }

    /** Releases the backing store; no transfer is in progress and none will start. */
    protected abstract void doClose() throws IOException;

    /**
     * Releases the backing store and, for {@link #closeAndRemoveCreated()}, removes it if
     * this open created it: {@link #doClose()} then {@link #removeCreatedStore()}. A
     * wrapper overrides this to pass the request on to the device it wraps.
     */
    protected void doClose(boolean removeCreated) throws IOException {
        doClose();
        if (removeCreated) {
            removeCreatedStore();
        }
    }

    /**
     * Called after {@link #doClose()} by {@link #closeAndRemoveCreated()}: removes the
     * backing store if this open created it. The default does nothing.
     */
    protected void removeCreatedStore() throws IOException {
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
