package org.cowstack.storage.api.volume;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open regular file.
 *
 * <h2>Buffers</h2>
 * Reads and writes transfer between the buffer's position and limit and advance its
 * position by the count transferred, like {@link java.nio.channels.FileChannel}. The
 * caller owns the buffer; a buffered write has copied it when the call returns, a
 * direct write has finished with it when the call returns.
 *
 * <h2>Errors</h2>
 * Reads fail with {@link org.cowstack.storage.api.ChecksumMismatchException} for a
 * block whose checksum does not match (never returning its data) and with
 * {@link org.cowstack.storage.api.MediaErrorException} for a device error. Writes fail
 * with {@link org.cowstack.storage.api.NoSpaceException} when accepted space runs out,
 * at once and without side effects. A write that fails part-way (its source buffer
 * faults) leaves the file as if a prefix, possibly empty, had been written at the
 * requested position: never a hole, never a size beyond the data.
 *
 * <h2>Threads</h2>
 * A handle may be used from several threads. Writes to one file are applied in the
 * order they are accepted; reads see every write accepted before they started.
 */
@ProviderType
public interface FileHandle extends Closeable {

    /** The path the file was opened with. */
    String path();

    /** Size in bytes. */
    long size() throws IOException;

    /** Attributes now. */
    FileStat stat() throws IOException;

    /**
     * Reads from {@code offset} up to {@code dst.remaining()} bytes, fewer only at end of
     * file. Holes and preallocated ranges read as zeros.
     *
     * @return bytes read, or -1 when {@code offset} is at or past end of file
     */
    int read(ByteBuffer dst, long offset) throws IOException;

    /**
     * Buffered write of all of {@code src} at {@code offset} (extending the file and
     * leaving a hole when it lies past the end). Space is reserved before the call
     * returns, so the later flush of this data cannot fail for lack of space.
     *
     * @return bytes written: all of them
     */
    int write(ByteBuffer src, long offset) throws IOException;

    /**
     * Direct write of all of {@code src} at {@code offset}, bypassing the page cache and
     * executed as the volume's {@link org.cowstack.storage.api.dio.DioStrategy} decides.
     * Unaligned requests take the buffered path.
     *
     * @return bytes written: all of them
     */
    int writeDirect(ByteBuffer src, long offset) throws IOException;

    /**
     * Appends all of {@code src} at the end of file. The position is fixed once, when the
     * append starts.
     *
     * @param direct bypass the page cache as {@link #writeDirect} does
     * @return the offset the data was written at
     */
    long append(ByteBuffer src, boolean direct) throws IOException;

    /**
     * Appends what {@code source} delivers, up to {@code count} bytes or its end of
     * stream, at the end of file. The position is fixed once, when the append starts,
     * and the file stays locked against other writers until it ends. If the source
     * throws, the bytes it delivered before are appended, nothing else: the write then
     * fails with {@link org.cowstack.storage.api.SourceFaultException}, whose
     * {@code written()} says how many (DESIGN P3).
     *
     * @param direct bypass the page cache as {@link #writeDirect} does
     * @return bytes appended
     */
    long appendFrom(java.nio.channels.ReadableByteChannel source, long count, boolean direct) throws IOException;

    /** Sets the size, freeing blocks past it or extending with a hole. */
    void truncate(long size) throws IOException;

    /** Makes this file's data and metadata durable when it returns. */
    void fsync() throws IOException;

    /** Preallocates, punches, zeroes or unshares a range; see {@link FallocateMode}. */
    void fallocate(FallocateMode mode, long offset, long length) throws IOException;

    /**
     * Shares {@code length} bytes of {@code source} from {@code sourceOffset} into this
     * file at {@code offset} (FICLONERANGE): metadata only, copy-on-write afterwards.
     * Length 0 means up to the source's end of file.
     *
     * @return bytes cloned
     */
    long cloneRange(FileHandle source, long sourceOffset, long offset, long length) throws IOException;

    /**
     * Shares {@code length} bytes of {@code source} into this file at {@code offset} if,
     * and only if, both ranges hold identical data (FIDEDUPERANGE).
     */
    DedupeResult dedupeRange(FileHandle source, long sourceOffset, long offset, long length) throws IOException;

    /** The mapping of a byte range to physical extents and holes (FIEMAP), in file order. */
    List<ExtentMapping> extents(long offset, long length) throws IOException;

    /** Attribute flags ({@code chattr}); changing {@link FileFlag#NOCOW} requires an empty file. */
    void setFlags(Set<FileFlag> add, Set<FileFlag> remove) throws IOException;

    /** Releases the handle. Does not imply fsync. */
    @Override
    void close() throws IOException;

    /**
     * Maps {@code length} bytes of the file from {@code offset} (see {@link FileMapping}).
     * The range may reach past the end of the file; views and stores stop at the end.
     *
     * @throws org.cowstack.storage.api.ReadOnlyException for {@link MapMode#READ_WRITE}
     *         on a handle opened for reading or a read-only volume
     * @throws org.cowstack.storage.api.InvalidArgumentException for a negative offset or
     *         a length that is not positive
     */
    FileMapping map(long offset, long length, MapMode mode) throws IOException;

    /** The dirty bitmaps of this file (see {@link org.cowstack.storage.api.bitmap.DirtyBitmaps}). */
    org.cowstack.storage.api.bitmap.DirtyBitmaps bitmaps();
}
