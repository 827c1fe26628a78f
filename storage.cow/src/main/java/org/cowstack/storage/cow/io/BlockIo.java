package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.cow.core.VolumeCore;

/**
 * Every read and write of file data on the device goes through here: the one place
 * where a second copy, a repair from it, or a media error reported to the blocks'
 * owners hooks in. Blocks are file-system blocks; buffers hold whole blocks.
 */
public final class BlockIo {
    private final VolumeCore core;
    private final int blockSize;

    public BlockIo(VolumeCore core) {
        this.core = core;
        this.blockSize = core.blockSize;
    }

    /** Reads the blocks from {@code physical} into {@code dst}'s remaining bytes. */
    public void read(ByteBuffer dst, long physical) throws IOException {
        core.device.read(dst, physical * blockSize);
    }

    /** Writes {@code src}'s remaining bytes to the blocks from {@code physical}. */
    public void write(ByteBuffer src, long physical) throws IOException {
        core.device.write(src, physical * blockSize);
    }

    /**
     * Blocks {@code [from, to)} of {@code buf} (counted from its index 0) as zeros: what
     * holes and preallocated blocks read as. Nothing when {@code to <= from}.
     */
    public void zero(ByteBuffer buf, long from, long to) {
        for (long i = from * blockSize, end = to * blockSize; i < end; i += Long.BYTES) {
            buf.putLong((int) i, 0L);
        }
    }

    /** A buffer the device writes from without a copy of its own, zero-positioned. */
    public ByteBuffer allocate(int bytes) {
        return core.device.allocate(bytes);
    }

    /**
     * Checks {@code n} blocks of data read from {@code physical} (in {@code data} from
     * {@code at}) against their stored checksums: file block {@code fileBlock} of
     * {@code path} on. A read never returns data that fails its checksum.
     *
     * @throws ChecksumMismatchException naming the first block that differs
     */
    public void verify(String path, long fileBlock, long physical, int n, byte[] data, int at) throws IOException {
        verify(path, fileBlock, physical, n, ByteBuffer.wrap(data), at);
    }

    /** As {@link #verify(String, long, long, int, byte[], int)}, for data in a buffer (direct or not) from its index {@code at}. */
    public void verify(String path, long fileBlock, long physical, int n, ByteBuffer data, int at) throws IOException {
        int good = verified(path, physical, n, data, at);
        if (good < n) {
            int d = core.checksum.digestLength();
            byte[] expected = core.checksums.lookup(physical + good, 1);
            byte[] actual = new byte[d];
            core.checksum.digest(data.slice(at + good * blockSize, blockSize), actual, 0);
            throw new ChecksumMismatchException(core.name, path, (fileBlock + good) * blockSize, physical + good,
                    core.checksum.name(), Arrays.copyOf(expected, d), actual);
        }
    }

    /**
     * How many of the {@code n} blocks read from {@code physical} (in {@code data} from
     * index {@code at}) match their stored checksums, counted from the first: {@code n}
     * when all do. Read-ahead keeps that many and leaves the rest to the read that asks.
     *
     * @throws CorruptImageException when the blocks have no checksums stored
     */
    public int verified(String path, long physical, int n, ByteBuffer data, int at) throws IOException {
        int d = core.checksum.digestLength();
        byte[] expected = core.checksums.lookup(physical, n);
        if (expected == null) {
            throw new CorruptImageException(core.deviceUri.toString(), "blocks " + physical + "+" + n + " of " + path
                    + " have no checksums");
        }
        byte[] actual = new byte[d];
        ByteBuffer block = data.duplicate(); // one view moved block by block: no object per block
        for (int k = 0; k < n; k++) {
            int start = at + k * blockSize;
            block.limit(start + blockSize).position(start);
            core.checksum.digest(block, actual, 0);
            if (!Arrays.equals(expected, k * d, (k + 1) * d, actual, 0, d)) {
                return k;
            }
        }
        return n;
    }

    /** The digests of what the device holds in {@code n} blocks from {@code physical}, into {@code out} at {@code at}. */
    public void digestOnDevice(long physical, int n, byte[] out, int at) throws IOException {
        ByteBuffer buf = allocate(n * blockSize);
        read(buf, physical);
        for (int k = 0; k < n; k++) {
            core.checksum.digest(buf.slice(k * blockSize, blockSize), out, at + k * core.checksum.digestLength());
        }
    }
}
