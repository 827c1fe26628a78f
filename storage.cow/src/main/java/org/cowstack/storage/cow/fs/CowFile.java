package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.api.CrossVolumeException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.io.ReadStream;

/** An open file of a {@link CowVolume}: its inode number and the path it was opened with. */
final class CowFile implements FileHandle {
    private final CowVolume volume;
    private final long inode;
    private final String path;
    private final boolean writable;
    private volatile boolean closed;
    /** This handle's reads, for read-ahead and drop-behind. */
    private final ReadStream reads = new ReadStream();

    CowFile(CowVolume volume, long inode, String path, boolean writable) {
        this.volume = volume;
        this.inode = inode;
        this.path = path;
        this.writable = writable;
    }

    private void open() throws StorageException {
        if (closed) {
            throw new StorageException(path + ": the file handle is closed");
        }
    }

    private void writable() throws StorageException {
        open();
        if (!writable) {
            throw new ReadOnlyException(path + " (opened for reading)");
        }
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public long size() throws IOException {
        open();
        return volume.core.operation(Access.READ, () -> volume.core.size(inode, path));
    }

    @Override
    public FileStat stat() throws IOException {
        open();
        return volume.core.operation(Access.READ, () -> volume.namespace.stat(inode, path));
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        open();
        return volume.core.operation(Access.READ, () -> volume.reads.read(inode, path, dst, offset, reads));
    }

    @Override
    public int write(ByteBuffer src, long offset) throws IOException {
        writable();
        return volume.core.operation(landsInCache(offset, src.remaining()) ? Access.CACHED : Access.CHANGE,
                () -> volume.buffered.write(inode, path, src, offset));
    }

    /**
     * Whether a buffered write lands in the cache without the checksum algorithm: no
     * writeback is due (the dirty allowance is not spent) and neither edge is a partial
     * block that is not cached (read-modify-write reads and verifies it). Such a write is
     * admitted without the algorithm, so it does not stall while {@code storage.csum} is
     * updated; what it meets that needs the algorithm after all waits for it in place.
     */
    private boolean landsInCache(long offset, int length) {
        var cache = volume.core.cache;
        int bs = volume.core.blockSize;
        if (offset < 0 || length <= 0 || offset > Long.MAX_VALUE - length
                || cache.dirtyPages() > cache.dirtyLimit()) {
            return false; // errors and writeback: as any change
        }
        long end = offset + length;
        return (offset % bs == 0 || cache.isCached(inode, offset / bs))
                && (end % bs == 0 || cache.isCached(inode, (end - 1) / bs));
    }

    @Override
    public int writeDirect(ByteBuffer src, long offset) throws IOException {
        writable();
        return volume.core.operation(Access.DIRECT, () -> volume.direct.write(inode, path, src, offset));
    }

    @Override
    public long append(ByteBuffer src, boolean direct) throws IOException {
        writable();
        return volume.core.operation(direct ? Access.DIRECT : Access.CHANGE,
                () -> volume.appends.append(inode, path, src, direct));
    }

    @Override
    public long appendFrom(java.nio.channels.ReadableByteChannel source, long count, boolean direct)
            throws IOException {
        writable();
        return volume.core.operation(direct ? Access.DIRECT : Access.CHANGE,
                () -> volume.appends.appendFrom(inode, path, source, count, direct));
    }

    @Override
    public void truncate(long size) throws IOException {
        writable();
        volume.core.operation(Access.CHANGE, () -> volume.ranges.truncate(inode, path, size));
    }

    @Override
    public void fsync() throws IOException {
        open();
        volume.sync();
    }

    @Override
    public void fallocate(FallocateMode mode, long offset, long length) throws IOException {
        writable();
        volume.core.operation(Access.CHANGE, () -> volume.ranges.fallocate(inode, path, mode, offset, length));
    }

    @Override
    public long cloneRange(FileHandle source, long sourceOffset, long offset, long length) throws IOException {
        writable();
        CowFile from = sourceOf("clone range", source);
        return volume.core.operation(Access.CHANGE, () -> {
            sameVolume("clone range", from);
            return volume.remap.cloneRange(inode, path, from.inode, from.path, sourceOffset, offset, length);
        });
    }

    @Override
    public DedupeResult dedupeRange(FileHandle source, long sourceOffset, long offset, long length)
            throws IOException {
        writable();
        CowFile from = sourceOf("dedupe range", source);
        return volume.core.operation(Access.CHANGE, () -> {
            sameVolume("dedupe range", from);
            return volume.remap.dedupeRange(inode, path, from.inode, from.path, sourceOffset, offset, length);
        });
    }

    /** The source of a clone or dedupe: an open file of this engine (of any volume: see {@link #sameVolume}). */
    private CowFile sourceOf(String op, FileHandle source) throws StorageException {
        if (!(source instanceof CowFile)) {
            throw new CrossVolumeException(op, String.valueOf(source), path + " on " + volume.name());
        }
        CowFile f = (CowFile) source;
        f.open();
        return f;
    }

    /** A clone or dedupe stays within one volume (EXDEV); a read-only volume refuses it first (EROFS). */
    private void sameVolume(String op, CowFile source) throws StorageException {
        volume.core.checkWritable();
        if (source.volume != volume) {
            throw new CrossVolumeException(op, source.path + " on " + source.volume.name(), path + " on "
                    + volume.name());
        }
    }

    @Override
    public List<ExtentMapping> extents(long offset, long length) throws IOException {
        open();
        return volume.core.operation(Access.CHANGE, () -> volume.fiemap.map(inode, path, offset, length));
    }

    @Override
    public void setFlags(Set<FileFlag> add, Set<FileFlag> remove) throws IOException {
        writable();
        volume.core.operation(Access.CHANGE, () -> volume.namespace.setFlags(inode, path, add, remove));
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public org.cowstack.storage.api.volume.FileMapping map(long offset, long length,
            org.cowstack.storage.api.volume.MapMode mode) throws IOException {
        open();
        if (mode == null) {
            throw new org.cowstack.storage.api.InvalidArgumentException("map mode", null, "READ or READ_WRITE");
        }
        if (offset < 0) {
            throw new org.cowstack.storage.api.InvalidArgumentException("map offset", offset, ">= 0");
        }
        if (length <= 0 || offset > Long.MAX_VALUE - length) {
            throw new org.cowstack.storage.api.InvalidArgumentException("map length", length,
                    "> 0, ending below 2^63");
        }
        if (mode == org.cowstack.storage.api.volume.MapMode.READ_WRITE) {
            writable();
            volume.core.checkWritable();
        }
        return volume.core.operation(Access.READ, () -> {
            volume.core.size(inode, path); // the file still exists
            return volume.mappings.map(inode, path, offset, length, mode);
        });
    }

    @Override
    public org.cowstack.storage.api.bitmap.DirtyBitmaps bitmaps() {
        return new FileBitmaps(volume, inode, path);
    }

    @Override
    public String toString() {
        return path + " on " + volume.name();
    }
}
