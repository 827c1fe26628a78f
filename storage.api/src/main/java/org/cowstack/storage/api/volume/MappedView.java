package org.cowstack.storage.api.volume;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Part of a {@link FileMapping}: a run of file bytes shown by one read-only buffer, with
 * no copy. On a device with {@link org.cowstack.storage.api.device.DirectAccess}
 * ({@code dax:}) the buffer is the device's memory at the blocks' physical address, so
 * views of a block shared by several files are the same memory; on other devices it is
 * the volume's cached copy of the block, which is also shared by every file that maps
 * it. Holes and preallocated ranges show a page of zeros.
 *
 * <h2>Validity</h2>
 * A view is valid while the bytes it shows are its file's bytes at that place. Any change
 * of them by any path (a write, a store through a mapping, truncate, punch, clone or
 * dedupe over them), an unmount, or a media error reported for its blocks invalidates it
 * at once. Java cannot trap a load from memory, so a reader follows the optimistic-read
 * rule of {@link java.util.concurrent.locks.StampedLock}: take {@link #buffer()}, read
 * from it, then call {@link #validate()}; if that throws, nothing read may be trusted and
 * the mapping gives a new view ({@link FileMapping#view}). A buffer kept after its view is
 * invalid shows stale bytes (never the bytes of a block that now belongs to another file
 * once validate() has passed after the read), and never crashes the JVM.
 */
@ProviderType
public interface MappedView {
    /** The file offset of the first byte shown. */
    long fileOffset();

    /** Bytes shown. */
    int length();

    /**
     * The device byte offset of the first byte shown when the view is the device's memory
     * ({@code dax:}), else -1 (a view of the cache or of zeros).
     */
    long deviceOffset();

    /** Whether the view is still valid (see the class documentation). */
    boolean isValid();

    /**
     * The bytes, read-only, position 0 and limit {@link #length()}; a new buffer object
     * per call over the same memory.
     *
     * @throws org.cowstack.storage.api.InvalidViewException when the view is no longer valid
     */
    ByteBuffer buffer() throws IOException;

    /**
     * Passes if the view was valid for the whole time since it was taken.
     *
     * @throws org.cowstack.storage.api.InvalidViewException otherwise; its cause is the
     *         {@link org.cowstack.storage.api.MediaErrorException} when the medium reported the blocks bad
     */
    void validate() throws IOException;
}
