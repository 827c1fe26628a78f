package org.cowstack.storage.api.device;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A fixed-size array of bytes with positional I/O and an explicit durability barrier:
 * what a disk, a file, a RAM disk or a persistent-memory mapping offers a file system.
 *
 * <h2>Alignment</h2>
 * Every offset and length passed to {@link #read}, {@link #write} and {@link #discard}
 * is a multiple of {@link #blockSize()}, as on a real block device. A request that is
 * not, or that reaches past {@link #size()}, fails with
 * {@link org.cowstack.storage.api.InvalidArgumentException} and transfers nothing.
 *
 * <h2>Buffers</h2>
 * {@code read} transfers exactly {@code dst.remaining()} bytes and {@code write}
 * exactly {@code src.remaining()} bytes; the buffer's position advances to its limit,
 * as with {@link java.nio.channels.FileChannel}. There are no short transfers. Heap,
 * direct and read-only (for {@code write}) buffers are all accepted; the caller keeps
 * ownership and the device holds no reference to the buffer after the call returns.
 * {@link #allocate(int)} gives a buffer that needs no bouncing on this device (aligned
 * and direct where that matters, as for O_DIRECT).
 *
 * <h2>Durability</h2>
 * A write is visible to reads as soon as it returns, but it is durable only after a
 * later {@link #flush()} returns: {@code flush} makes every write that completed
 * before it was called survive a power cut. Writes not followed by a flush may be
 * lost, partly or entirely, in any order. Devices with {@link DeviceCapability#FUA}
 * make every write durable when it returns; callers still call {@code flush}.
 *
 * <h2>Errors</h2>
 * A failed transfer raises {@link org.cowstack.storage.api.MediaErrorException} naming
 * the range; the rest of the device stays usable. A write to a read-only device raises
 * {@link org.cowstack.storage.api.ReadOnlyException}. Any call after {@link #close()}
 * raises {@link org.cowstack.storage.api.OfflineException}.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe. Concurrent transfers to disjoint ranges proceed in
 * parallel; the outcome of concurrent writes to overlapping ranges is unspecified, as
 * on hardware. {@code close} waits for transfers in progress and then releases the
 * backing store (file descriptor, mapping, memory).
 */
@ConsumerType
public interface BlockDevice extends Closeable {

    /** The URI the device was opened with. */
    URI uri();

    /** Size in bytes, a multiple of {@link #blockSize()}. */
    long size();

    /** The I/O unit: every offset and length is a multiple of it. A power of two, at least 512. */
    int blockSize();

    /** What this open device can do, fixed for its lifetime. */
    Set<DeviceCapability> capabilities();

    /** True when the device was opened read-only. */
    boolean isReadOnly();

    /**
     * Reads {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}.
     *
     * @throws IOException see the class documentation
     */
    void read(ByteBuffer dst, long offset) throws IOException;

    /**
     * Writes {@code src.remaining()} bytes of {@code src} starting at {@code offset}.
     *
     * @throws IOException see the class documentation
     */
    void write(ByteBuffer src, long offset) throws IOException;

    /**
     * Makes every write that completed before this call durable.
     *
     * @throws IOException when the device could not persist them; the state of those
     *         writes is then unknown
     */
    void flush() throws IOException;

    /**
     * Tells the device that a range holds no useful data. A hint: afterwards the range
     * reads as its old content or as zeros. Devices with
     * {@link DeviceCapability#DISCARD} release the space and read zeros.
     *
     * @throws IOException see the class documentation
     */
    void discard(long offset, long length) throws IOException;

    /**
     * Allocates a buffer that this device transfers without an intermediate copy:
     * direct and aligned to {@link #blockSize()}.
     *
     * @param capacity bytes, a multiple of {@link #blockSize()}
     */
    default ByteBuffer allocate(int capacity) {
        int align = blockSize();
        return ByteBuffer.allocateDirect(capacity + align).alignedSlice(align).limit(capacity).slice();
    }

    /**
     * Waits for transfers in progress, releases the backing store and makes every later
     * call fail. Closing twice is harmless. Does not flush: callers flush first if they
     * want the last writes durable.
     */
    @Override
    void close() throws IOException;

    /**
     * Closes the device, as {@link #close()}, and removes its backing store if this very
     * open created it (an image file and the directories made for it, a RAM disk): what
     * a mkfs that fails on a device it created does, so the host is left as it was. A
     * store that existed before the open is only closed, never removed. The default only
     * closes.
     */
    default void closeAndRemoveCreated() throws IOException {
        close();
    }
}
