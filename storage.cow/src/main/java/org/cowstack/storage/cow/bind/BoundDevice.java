package org.cowstack.storage.cow.bind;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.cow.meta.ErrorCounters;

/**
 * The device a volume works on, whichever one its {@link VolumeBindings} holds: the
 * engine keeps this, not the provider's object, so a device backend can go away and come
 * back (a new provider, a new device object) under a mounted volume. The geometry is
 * the one seen at mount; a device that comes back with another is not accepted. Whether
 * it is read-only is the bound device's.
 */
public final class BoundDevice implements BlockDevice {
    private final VolumeBindings bindings;
    private final URI uri;
    private final long size;
    private final int blockSize;
    private final Set<DeviceCapability> capabilities;
    /** Every read, write and flush the device fails is counted here (the volume's device stats). */
    private final ErrorCounters errors;

    public BoundDevice(VolumeBindings bindings, BlockDevice first, ErrorCounters errors) {
        this.bindings = bindings;
        this.errors = errors;
        this.uri = first.uri();
        this.size = first.size();
        this.blockSize = first.blockSize();
        this.capabilities = first.capabilities();
    }

    /** The bound device; the gate guarantees one to every operation inside it. */
    private BlockDevice bound() throws OfflineException {
        BlockDevice d = bindings.device();
        if (d == null) {
            throw new OfflineException(uri.toString());
        }
        return d;
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public Set<DeviceCapability> capabilities() {
        return capabilities;
    }

    /**
     * Whether the device bound now was opened read-only (a volume remounted read-write
     * may be given a device opened for writing; one that is offline counts as read-only).
     */
    @Override
    public boolean isReadOnly() {
        BlockDevice d = bindings.device();
        return d == null || d.isReadOnly();
    }

    /**
     * The bound device as memory the volume may show file blocks from (a {@code dax:}
     * device), or null. Taken per use and never kept: a kept device would keep a replaced
     * backend's class loader alive.
     */
    public org.cowstack.storage.api.device.DirectAccess directAccess() {
        return bindings.device() instanceof org.cowstack.storage.api.device.DirectAccess d ? d : null;
    }

    @Override
    public void read(ByteBuffer dst, long offset) throws IOException {
        BlockDevice d = bound();
        try {
            d.read(dst, offset);
        } catch (IOException e) {
            if (deviceFailed(e)) {
                errors.read();
            }
            throw e;
        }
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        BlockDevice d = bound();
        try {
            d.write(src, offset);
        } catch (IOException e) {
            if (deviceFailed(e)) {
                errors.write();
            }
            throw e;
        }
    }

    @Override
    public void flush() throws IOException {
        BlockDevice d = bound();
        try {
            d.flush();
        } catch (IOException e) {
            if (deviceFailed(e)) {
                errors.flush();
            }
            throw e;
        }
    }

    /**
     * Whether the device itself failed: a media error, or an I/O error that is not the
     * engine's own (the device going offline, a read-only device, an interrupt).
     */
    private static boolean deviceFailed(IOException e) {
        return e instanceof MediaErrorException || !(e instanceof StorageException
                || e instanceof java.io.InterruptedIOException || e instanceof java.nio.channels.ClosedChannelException);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        bound().discard(offset, length);
    }

    @Override
    public ByteBuffer allocate(int capacity) {
        BlockDevice d = bindings.device();
        // Buffers outlive a swap: one from the default allocation fits every device of this geometry.
        return d != null ? d.allocate(capacity) : BlockDevice.super.allocate(capacity);
    }

    /** Closes the bound device, if any, and unbinds it. */
    @Override
    public void close() throws IOException {
        BlockDevice d = bindings.device();
        if (d != null) {
            bindings.device(null);
            d.close();
        }
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
