package org.cowstack.storage.device.log;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;

import org.cowstack.storage.device.base.AbstractBlockDevice;

/** A device over a byte array: a replayed image to mount and check. */
final class ImageDevice extends AbstractBlockDevice {
    private final byte[] image;

    ImageDevice(URI uri, byte[] image, int blockSize) {
        super(uri, image.length, blockSize, false, Set.of());
        this.image = image;
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) {
        dst.put(image, Math.toIntExact(offset), dst.remaining());
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) {
        src.get(image, Math.toIntExact(offset), src.remaining());
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doClose() {
    }
}
