package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.meta.Extents;

/**
 * Reading file data: cached pages first, then the blocks the file maps, read from the
 * device and verified, then zeros for holes and preallocated blocks. Short reads fill
 * the page cache; long ones stream through it.
 */
public final class ReadPath {
    /**
     * Reads at least this long stream through without filling the page cache: copying
     * every block of a long sequential read into a small cache costs more than the read
     * and evicts what random access reuses.
     */
    private static final int STREAMING_READ = 128 * 1024;

    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;

    public ReadPath(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
        this.blockSize = core.blockSize;
    }

    /** {@code FileHandle.read}: bytes from {@code offset} into {@code dst}, -1 at or past the end. */
    public int read(long ino, String path, ByteBuffer dst, long offset) throws IOException {
        core.checkUsable();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        return core.treeLock.reading(() -> {
            long size = core.inodes.getOrThrow(ino, path).size();
            if (offset >= size) {
                return -1;
            }
            int length = (int) Math.min(dst.remaining(), size - offset);
            long first = offset / blockSize;
            long last = (offset + length - 1) / blockSize;
            byte[] bytes = readBlocks(ino, path, first, (int) (last - first + 1), length < STREAMING_READ);
            dst.put(bytes, (int) (offset % blockSize), length);
            return length;
        });
    }

    /**
     * The content of file blocks {@code [first, first + count)}: cached pages, or blocks
     * read from the device and verified, or zeros (holes, preallocated blocks). Called
     * with the tree lock held.
     */
    public byte[] readBlocks(long ino, String path, long first, int count, boolean cacheThem) throws IOException {
        byte[] out = new byte[count * blockSize];
        boolean[] have = new boolean[count];
        int missing = 0;
        for (int i = 0; i < count; i++) {
            have[i] = core.cache.copyOut(ino, first + i, 0, out, i * blockSize, blockSize);
            if (!have[i]) {
                missing++;
            }
        }
        if (missing == 0) {
            return out;
        }
        for (Extents.Mapping m : core.extents.within(ino, first, first + count)) {
            if (m.extent().unwritten()) {
                continue; // reads as zeros
            }
            long b = m.fileBlock();
            while (b < m.fileEnd()) {
                if (have[(int) (b - first)]) {
                    b++;
                    continue;
                }
                long runEnd = b + 1;
                while (runEnd < m.fileEnd() && !have[(int) (runEnd - first)] && runEnd - b < VolumeCore.MAX_WRITE_RUN) {
                    runEnd++;
                }
                int n = (int) (runEnd - b);
                long physical = m.physicalAt(b);
                int at = (int) (b - first) * blockSize;
                io.read(ByteBuffer.wrap(out, at, n * blockSize), physical);
                if (m.extent().checksummed()) {
                    io.verify(path, b, physical, n, out, at);
                }
                if (cacheThem) {
                    for (int k = 0; k < n; k++) {
                        core.cache.putClean(ino, b + k, out, at + k * blockSize);
                    }
                }
                b = runEnd;
            }
        }
        return out;
    }

    /** One block's content, to be changed in part by a write: taken under the shared tree lock. */
    public byte[] readBlockForUpdate(long ino, String path, long block) throws IOException {
        return core.treeLock.reading(() -> readBlocks(ino, path, block, 1, false));
    }
}
