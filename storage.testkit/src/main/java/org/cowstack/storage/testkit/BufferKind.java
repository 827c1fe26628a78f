package org.cowstack.storage.testkit;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Function;

/**
 * The shapes of {@link ByteBuffer} a storage contract must accept, each built to hold
 * given bytes between its position and limit with junk around them, so that an
 * implementation that ignores position, limit or array offset gets the wrong answer.
 */
public enum BufferKind {
    HEAP(b -> framed(ByteBuffer.allocate(b.length + 24), b)),
    HEAP_ARRAY_OFFSET(b -> {
        // A slice of a wrapped array: arrayOffset() != 0.
        ByteBuffer whole = ByteBuffer.allocate(b.length + 40);
        fillJunk(whole);
        whole.position(11);
        ByteBuffer slice = whole.slice();
        slice.position(5);
        slice.put(b);
        slice.limit(5 + b.length).position(5);
        return slice;
    }),
    HEAP_READ_ONLY(b -> framed(ByteBuffer.allocate(b.length + 24), b).asReadOnlyBuffer()),
    DIRECT(b -> framed(ByteBuffer.allocateDirect(b.length + 24), b)),
    DIRECT_READ_ONLY(b -> framed(ByteBuffer.allocateDirect(b.length + 24), b).asReadOnlyBuffer()),
    DIRECT_LITTLE_ENDIAN(b -> framed(ByteBuffer.allocateDirect(b.length + 24), b).order(ByteOrder.LITTLE_ENDIAN));

    private final Function<byte[], ByteBuffer> factory;

    BufferKind(Function<byte[], ByteBuffer> factory) {
        this.factory = factory;
    }

    /** A buffer of this kind whose remaining bytes are {@code content}. */
    public ByteBuffer holding(byte[] content) {
        return factory.apply(content);
    }

    /** True for the kinds that cannot be written into. */
    public boolean readOnly() {
        return this == HEAP_READ_ONLY || this == DIRECT_READ_ONLY;
    }

    private static ByteBuffer framed(ByteBuffer buf, byte[] content) {
        fillJunk(buf);
        buf.position(13);
        buf.put(content);
        buf.limit(13 + content.length).position(13);
        return buf;
    }

    private static void fillJunk(ByteBuffer buf) {
        for (int i = 0; i < buf.capacity(); i++) {
            buf.put(i, (byte) (0xA5 ^ i));
        }
    }
}
