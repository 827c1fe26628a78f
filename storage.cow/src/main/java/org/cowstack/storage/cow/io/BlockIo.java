package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.cow.core.Repairs;
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

    /**
     * Reads the blocks from {@code physical} into {@code dst}'s remaining bytes; when the
     * device fails the read (a media error) and the data has a second copy at
     * {@code mirror} (0: none), reads that instead. The bad first copy is rewritten when
     * the read is verified ({@link #verify}): the medium remaps a sector on write.
     */
    public void read(ByteBuffer dst, long physical, long mirror, long inode, long since) throws IOException {
        ByteBuffer again = dst.duplicate();
        int blocks = dst.remaining() / blockSize;
        try {
            core.device.read(dst, physical * blockSize);
        } catch (org.cowstack.storage.api.MediaErrorException e) {
            if (mirror == 0) {
                throw e;
            }
            ByteBuffer good = again.slice();
            core.device.read(again, mirror * blockSize);
            dst.position(again.position());
            boolean queued = inode >= 0 && since >= 0 && !core.readOnly();
            if (queued) {
                ByteBuffer copy = allocate(blocks * blockSize);
                copy.put(0, good, 0, blocks * blockSize);
                core.repairs.queue(inode, physical, blocks, copy, null, since);
            }
            core.healing.event(blocks, queued ? blocks : 0, core.name + ": media error reading blocks " + physical
                    + "+" + blocks + " (" + e.getMessage() + "); read their second copy at block " + mirror
                    + (queued ? " and rewrote the first" : ""));
        }
    }

    /** Writes {@code src}'s remaining bytes to the blocks from {@code physical}. */
    public void write(ByteBuffer src, long physical) throws IOException {
        core.device.write(src, physical * blockSize);
    }

    /** Writes {@code src}'s remaining bytes to the blocks from {@code physical}, and to {@code mirror} on unless it is 0. */
    public void write(ByteBuffer src, long physical, long mirror) throws IOException {
        ByteBuffer second = mirror == 0 ? null : src.duplicate();
        core.device.write(src, physical * blockSize);
        if (second != null) {
            core.device.write(second, mirror * blockSize);
        }
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
        verify(-1, path, fileBlock, physical, 0, n, data, at, -1);
    }

    /**
     * Checks {@code n} blocks of file {@code inode} read from {@code physical} as
     * {@link #verify(String, long, long, int, ByteBuffer, int)} does, healing from the
     * second copy at {@code mirror} (0: none): a block that fails is read from there and,
     * if that one verifies, put into {@code data} in its place and queued to be
     * rewritten over the bad copy ({@link Repairs}; {@code since} is the
     * {@link Repairs#mark} taken before the read). Every bad block is counted and logged.
     *
     * @throws ChecksumMismatchException naming the first block that no copy has right
     */
    public void verify(long inode, String path, long fileBlock, long physical, long mirror, int n, ByteBuffer data,
            int at, long since) throws IOException {
        int from = 0;
        while (from < n) {
            int good = from + verified(path, physical + from, n - from, data, at + from * blockSize);
            if (good == n) {
                return;
            }
            int d = core.checksum.digestLength();
            byte[] expected = core.checksums.lookup(physical + good, 1);
            core.healing.checksumError();
            if (mirror != 0 && healFromMirror(inode, path, fileBlock + good, physical + good, mirror + good, expected,
                    data, at + good * blockSize, since)) {
                from = good + 1;
                continue;
            }
            byte[] actual = new byte[d];
            core.checksum.digest(data.slice(at + good * blockSize, blockSize), actual, 0);
            core.healing.event(1, 0, core.name + ": " + path + " at offset " + (fileBlock + good) * blockSize
                    + ": block " + (physical + good) + " fails its checksum"
                    + (mirror != 0 ? " in both copies (second at " + (mirror + good) + ")" : " and has no second copy"));
            if (inode >= 0) {
                core.damaged.mark(inode, fileBlock + good, 1, physical + good,
                        org.cowstack.storage.cow.meta.DamagedRanges.CHECKSUM);
            }
            throw new ChecksumMismatchException(core.name, path, (fileBlock + good) * blockSize, physical + good,
                    core.checksum.name(), Arrays.copyOf(expected, d), actual);
        }
    }

    /** Reads one block's second copy; when it verifies, puts it in {@code data} at {@code at} and queues the repair. */
    private boolean healFromMirror(long inode, String path, long fileBlock, long physical, long mirror,
            byte[] expected, ByteBuffer data, int at, long since) {
        ByteBuffer copy = allocate(blockSize);
        try {
            core.device.read(copy, mirror * blockSize);
        } catch (IOException e) {
            return false;
        }
        copy.flip();
        if (verified(expected, copy) == false) {
            return false;
        }
        data.put(at, copy, 0, blockSize);
        boolean queued = inode >= 0 && since >= 0 && !core.readOnly();
        if (queued) {
            core.repairs.queue(inode, physical, 1, copy, expected, since);
        }
        core.healing.event(1, queued ? 1 : 0, core.name + ": " + path + " at offset " + fileBlock * blockSize
                + ": block " + physical + " failed its checksum; read its second copy at block " + mirror
                + (queued ? " and rewrote the first" : " (read-only: the first is left as it is)"));
        return true;
    }

    /** Whether one block in {@code block} (from index 0) matches the digest {@code expected}. */
    private boolean verified(byte[] expected, ByteBuffer block) {
        int d = core.checksum.digestLength();
        byte[] actual = new byte[d];
        core.checksum.digest(block.duplicate().position(0).limit(blockSize), actual, 0);
        return Arrays.equals(expected, 0, d, actual, 0, d);
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
