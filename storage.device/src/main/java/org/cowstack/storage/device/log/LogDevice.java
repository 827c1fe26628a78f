package org.cowstack.storage.device.log;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.device.base.WrappingDevice;

/** Passes I/O to an inner device and logs every write, flush and discard that succeeded. */
final class LogDevice extends WrappingDevice {
    private final WriteLog log;
    private final boolean fua;

    LogDevice(URI uri, BlockDevice inner, WriteLog log) {
        super(uri, inner);
        this.log = log;
        this.fua = inner.capabilities().contains(DeviceCapability.FUA);
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) throws IOException {
        inner.read(dst, offset);
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) throws IOException {
        byte[] copy = new byte[src.remaining()];
        src.duplicate().get(copy);
        // Logged in the order the writes complete, under one lock, so the log is a history.
        synchronized (log) {
            inner.write(src, offset);
            log.write(offset, copy, fua);
        }
    }

    @Override
    protected void doFlush() throws IOException {
        synchronized (log) {
            inner.flush();
            log.flush();
        }
    }

    @Override
    protected void doDiscard(long offset, long length) throws IOException {
        synchronized (log) {
            inner.discard(offset, length);
            log.discard(offset, length);
        }
    }


}
