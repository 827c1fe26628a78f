package org.cowstack.storage.api.volume;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A memory mapping of a byte range of a file ({@link FileHandle#map}), as {@code mmap}
 * with {@code MAP_SHARED}, made for a language that cannot trap page faults: loads go
 * through {@link MappedView}s, stores through {@link #write}, which takes the fault
 * explicitly.
 *
 * <h2>Stores</h2>
 * A store into a block that another file (or a snapshot of this one) also references
 * first copies the block to a new one for this file only, applies the store there and
 * remaps (the copy-on-write fault): every other owner, its views, checksums and extents
 * are untouched. A store into a block this file alone references goes in place when the
 * file is NOCOW or the block is preallocated, and copies on write otherwise, as every
 * write of the volume does. A store is visible to reads of the file when it returns; it
 * is durable after {@link #msync} (or {@link FileHandle#fsync}). A store fails as a
 * direct write does: {@link org.cowstack.storage.api.NoSpaceException} when the copy has
 * no room, {@link org.cowstack.storage.api.MediaErrorException} when the device fails.
 * A store of one block (or of up to 4 MiB that needs no more room than is free) then
 * changed nothing; a longer one may have stored a prefix of its bytes, as a direct write
 * that fails does (DESIGN P3), never a hole; {@code src}'s position is left where it
 * was. The next {@link #msync} commits what was stored. A mapping never changes its file's
 * size: a store past the end of the file fails with
 * {@link org.cowstack.storage.api.InvalidArgumentException} (the SIGBUS of a store past
 * EOF).
 *
 * <h2>Lifetime</h2>
 * A mapping lives until {@link #close()} (munmap) or the volume is unmounted, independent
 * of the handle it was made from. Closing invalidates its views.
 */
@ProviderType
public interface FileMapping extends Closeable {
    /** The file's path. */
    String path();

    /** The first mapped file offset. */
    long offset();

    /** Mapped bytes from {@link #offset()}. */
    long length();

    MapMode mode();

    /** Whether views are the device's memory ({@code dax:}) rather than the volume's cache. */
    boolean direct();

    /**
     * A view that shows file offset {@code offset}: one made for this offset, or a valid
     * one kept from an earlier call that starts before it (its {@link MappedView#fileOffset()}
     * says where), up to the end of a run of blocks that are contiguous where they are
     * shown (on the device or a cache page), within the mapping and the file. Its blocks are verified against their checksums
     * when the view is made (a bad copy healed from a good one first).
     *
     * @throws org.cowstack.storage.api.InvalidArgumentException when {@code offset} lies
     *         outside the mapping or at or past the end of the file
     */
    MappedView view(long offset) throws IOException;

    /**
     * Copies mapped bytes from {@code offset} into {@code dst} through views, taking new
     * ones as views are invalidated; stops at the end of the mapping or of the file.
     *
     * @return bytes copied, -1 when {@code offset} is at or past the end of the file
     */
    int read(long offset, ByteBuffer dst) throws IOException;

    /** Stores all of {@code src} at {@code offset} (see Stores above). */
    int write(long offset, ByteBuffer src) throws IOException;

    /** Makes stores into {@code [offset, offset + length)} of this mapping durable. */
    void msync(long offset, long length) throws IOException;

    /** Makes every store through this mapping durable. */
    default void msync() throws IOException {
        msync(offset(), length());
    }

    /** Unmaps: every view is invalidated, later calls fail. Does not msync. */
    @Override
    void close() throws IOException;
}
