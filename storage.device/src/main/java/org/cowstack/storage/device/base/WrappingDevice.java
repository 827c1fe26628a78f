package org.cowstack.storage.device.base;

import java.io.IOException;
import java.net.URI;

import org.cowstack.storage.api.device.BlockDevice;

/**
 * A device that wraps another ({@code faulty:}, {@code log:}): the same geometry, mode and
 * capabilities, and closing it closes the wrapped one — removing what the wrapped
 * device's open created, when asked to (the wrapper itself creates nothing).
 */
public abstract class WrappingDevice extends AbstractBlockDevice {
    protected final BlockDevice inner;

    protected WrappingDevice(URI uri, BlockDevice inner) {
        super(uri, inner.size(), inner.blockSize(), inner.isReadOnly(), inner.capabilities());
        this.inner = inner;
    }

    @Override
    protected void doClose() throws IOException {
        inner.close();
    }

    @Override
    protected void doClose(boolean removeCreated) throws IOException {
        if (removeCreated) {
            inner.closeAndRemoveCreated();
        } else {
            inner.close();
        }
    }
}
