package org.cowstack.storage.cow.io;

import java.nio.ByteBuffer;

/**
 * A caller's source buffer, read block by block by a write that must survive it
 * faulting part-way (DESIGN P3).
 *
 * <p>A direct buffer may be a file mapping whose file was truncated: touching a page
 * past the new end raises SIGBUS. The JDK turns that into an {@link InternalError} in
 * its own copies ({@code Unsafe.copyMemory}, {@code ByteBuffer.put}), but native code
 * reading the memory, such as the CRC32C intrinsic on a direct buffer, kills the JVM
 * (seen on JDK 17: "A fatal error has been detected"). So a caller's direct buffer is
 * never handed to a checksum: each block is first copied into a one-block staging
 * buffer, where a fault is an exception, and used from there. The page cache takes a
 * whole block from {@link #data()} itself ({@code PageCache.writeBlock}): its one copy
 * is a JDK copy into a free array, where a fault is an exception too. Heap buffers
 * cannot fault and are used in place. Device writes may take the caller's
 * buffer as it is: the JDK's channel write returns EFAULT, its memory copies raise
 * {@link InternalError}, and the engine catches both.
 */
final class CallerBuffer {
    /** The source could not be read beyond {@link #blocks} whole blocks. */
    static final class Fault extends Exception {
        private static final long serialVersionUID = 1L;
        final int blocks;

        Fault(int blocks, Throwable cause) {
            super("the source buffer faulted in block " + blocks + " of the write", cause);
            this.blocks = blocks;
        }
    }

    private final ByteBuffer data;
    private final int unit;
    private final DataCopies copies;
    private final boolean direct;
    /** Where direct memory is staged block by block: made on first use (a nodatasum write never stages). */
    private ByteBuffer staging;

    /**
     * @param src   the caller's buffer; its bytes from position to limit are the data,
     *              and its position is not changed
     * @param unit  bytes per block
     */
    CallerBuffer(ByteBuffer src, int unit, DataCopies copies) {
        this.data = src.slice(src.position(), src.remaining());
        this.unit = unit;
        this.copies = copies;
        this.direct = src.isDirect();
    }

    /** The caller's bytes, position zero: what the device writes from when it writes in place of a copy. */
    ByteBuffer data() {
        return data;
    }

    /**
     * Bytes {@code [at, at + length)} as a readable buffer, valid until the next call: a
     * view of the caller's heap buffer, or a staged copy of its direct memory.
     */
    ByteBuffer read(int at, int length) throws Fault {
        if (!direct) {
            return data.slice(at, length);
        }
        if (staging == null || staging.capacity() < length) {
            staging = ByteBuffer.allocate(Math.max(unit, length));
        }
        try {
            staging.clear().put(0, data, at, length).limit(length);
        } catch (InternalError e) {
            throw new Fault(at / unit, e);
        }
        copies.staged(length);
        return staging.slice(0, length);
    }

    /** Block {@code k}, as {@link #read}. */
    ByteBuffer block(int k) throws Fault {
        return read(k * unit, unit);
    }

    /** Copies the first {@code blocks} blocks into {@code dst} at its index 0 (a bounce buffer). */
    void copyTo(ByteBuffer dst, int blocks) throws Fault {
        for (int k = 0; k < blocks; k++) {
            try {
                dst.put(k * unit, data, k * unit, unit);
            } catch (InternalError e) {
                throw new Fault(k, e);
            }
            copies.bounced(unit);
        }
    }
}
