package org.cowstack.storage.device.mem;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.EnumSet;

import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.device.base.AbstractBlockDevice;
import org.cowstack.storage.device.base.TiledMemory;

/** One opener's view of a RAM disk; the memory belongs to the provider. */
final class MemDevice extends AbstractBlockDevice {
    static final int BLOCK_SIZE = 512;

    private final TiledMemory memory;
    /** Forgets the disk; null unless this open created it. */
    private final Runnable forget;

    MemDevice(URI uri, TiledMemory memory, boolean readOnly, Runnable forget) {
        super(uri, memory.size(), BLOCK_SIZE, readOnly, EnumSet.of(DeviceCapability.DISCARD));
        this.memory = memory;
        this.forget = forget;
    }

    @Override
    protected void doRead(ByteBuffer dst, long offset) {
        memory.read(dst, offset);
    }

    @Override
    protected void doWrite(ByteBuffer src, long offset) {
        memory.write(src, offset);
    }

    @Override
    protected void doFlush() {
        // Memory is as durable as it gets once written.
    }

    @Override
    protected void doDiscard(long offset, long length) {
        memory.zero(offset, length);
    }

    @Override
    protected void doClose() {
        // The disk outlives its openers, as /dev/ram0 does.
    }

    /** Closed by the open that created it, removing what it created: the disk is forgotten and its memory returned. */
    @Override
    protected void removeCreatedStore() {
        if (forget != null) {
            forget.run();
        }
    }
}
