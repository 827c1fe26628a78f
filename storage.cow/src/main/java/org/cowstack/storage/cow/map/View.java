package org.cowstack.storage.cow.map;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.cowstack.storage.api.InvalidViewException;
import org.cowstack.storage.api.volume.MappedView;

/**
 * One view of a {@link CowMapping}: a read-only buffer over the device's memory, a pinned
 * cache page or zeros, valid until {@link #invalidate} (the registry calls it for every
 * change that reaches its file blocks or its physical blocks).
 */
final class View implements MappedView {
    final CowMapping mapping;
    /** File blocks {@code [firstBlock, endBlock)} it shows part of. */
    final long firstBlock;
    final long endBlock;
    /** Physical blocks {@code [physical, physical + endBlock - firstBlock)} shown, or -1 for zeros. */
    final long physical;
    private final long fileOffset;
    private final long deviceOffset;
    private final ByteBuffer buffer;
    /** The cache page pinned for it (unpinned when it goes), or null. */
    final ByteBuffer pinned;
    private final long deviceEpoch;
    private volatile String invalid;
    private volatile Throwable cause;

    View(CowMapping mapping, long fileOffset, long firstBlock, long endBlock, long physical, long deviceOffset,
            ByteBuffer buffer, ByteBuffer pinned, long deviceEpoch) {
        this.mapping = mapping;
        this.fileOffset = fileOffset;
        this.firstBlock = firstBlock;
        this.endBlock = endBlock;
        this.physical = physical;
        this.deviceOffset = deviceOffset;
        this.buffer = buffer;
        this.pinned = pinned;
        this.deviceEpoch = deviceEpoch;
    }

    /** Marks it invalid for {@code why}; true the first time. */
    synchronized boolean invalidate(String why, Throwable failure) {
        if (invalid != null) {
            return false;
        }
        cause = failure;
        invalid = why;
        return true;
    }

    /** Whether it shows the bytes of file offset {@code offset}. */
    boolean covers(long offset) {
        return offset >= fileOffset && offset < fileOffset + buffer.capacity();
    }

    @Override
    public long fileOffset() {
        return fileOffset;
    }

    @Override
    public int length() {
        return buffer.capacity();
    }

    @Override
    public long deviceOffset() {
        return deviceOffset;
    }

    @Override
    public boolean isValid() {
        return invalid == null && mapping.deviceEpoch() == deviceEpoch;
    }

    @Override
    public ByteBuffer buffer() throws IOException {
        validate();
        return buffer.duplicate().clear();
    }

    @Override
    public void validate() throws IOException {
        if (invalid == null && mapping.deviceEpoch() != deviceEpoch) {
            mapping.registry().invalidate(this, "the volume's device was replaced", null);
        }
        String why = invalid;
        if (why != null) {
            throw new InvalidViewException(mapping.path(), fileOffset, why, cause);
        }
    }

    @Override
    public String toString() {
        return mapping.path() + " at " + fileOffset + "+" + buffer.capacity()
                + (deviceOffset >= 0 ? " (device offset " + deviceOffset + ")" : physical >= 0 ? " (cache)" : " (zeros)")
                + (invalid != null ? ", invalid: " + invalid : "");
    }
}
