package org.cowstack.storage.cow.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.meta.Extents;

/**
 * One worker of a dedupe's comparison ({@link RangeCompare}): a chunk of both ranges read
 * from the device into this worker's own two direct buffers, verified against the stored
 * checksums and compared in place. Holes and preallocated blocks read as zeros.
 *
 * <p>Every block read is verified, but the source's digests serve both sides: a
 * destination block whose bytes were found equal to a verified source block has the
 * same digest, so only its stored checksum is compared with it, and the second crc of
 * identical data (a third of the work after the reads) is not computed. Destination
 * blocks from the first difference on are digested themselves, so a corrupt block is
 * reported exactly as a full verification reports it. The outcome of a chunk is the
 * one a sequential verify-then-compare gives: the source's first bad block, else the
 * destination's first bad block, else equal or not.
 *
 * <p>A chunk whose blocks already are the same physical blocks on both sides (a range
 * deduplicated before) is equal without being read.
 */
final class ChunkCompare {
    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;
    private final int digestLength;
    private final ByteBuffer left;
    private final ByteBuffer right;
    /** The source's digests of the chunk, block by block, where {@link #digested} says so. */
    private final byte[] digests;
    private final boolean[] digested;

    ChunkCompare(VolumeCore core, BlockIo io, int chunkBlocks) {
        this.core = core;
        this.io = io;
        this.blockSize = core.blockSize;
        this.digestLength = core.checksum.digestLength();
        this.left = io.allocate(chunkBlocks * blockSize);
        this.right = io.allocate(chunkBlocks * blockSize);
        this.digests = new byte[chunkBlocks * digestLength];
        this.digested = new boolean[chunkBlocks];
    }

    /** A side of the comparison: a file and the first file block of its range. */
    record Side(long ino, String path, long first) {
    }

    /**
     * Whether the first {@code bytes} of the {@code count} blocks at chunk offset
     * {@code at} (blocks) of both ranges are equal.
     *
     * @throws ChecksumMismatchException naming the first block of the chunk that fails
     *         its checksum, the source's before the destination's
     */
    boolean equal(Side src, Side dst, long at, int count, int bytes) throws IOException {
        long sFirst = src.first() + at;
        long dFirst = dst.first() + at;
        List<Extents.Mapping> from = mappings(src.ino(), sFirst, count);
        List<Extents.Mapping> to = mappings(dst.ino(), dFirst, count);
        if (sameBlocks(from, sFirst, to, dFirst, count)) {
            return true;
        }
        Arrays.fill(digested, 0, count, false);
        read(from, sFirst, count, left);
        verify(src.path(), from, sFirst, left, count);
        read(to, dFirst, count, right);
        int wholeBlocks = count * blockSize;
        int m = left.slice(0, wholeBlocks).mismatch(right.slice(0, wholeBlocks));
        verify(dst.path(), to, dFirst, right, m < 0 ? count : m / blockSize);
        return m < 0 || m >= bytes;
    }

    private List<Extents.Mapping> mappings(long ino, long first, int count) throws IOException {
        return core.treeLock.reading(() -> core.extents.within(ino, first, first + count));
    }

    /** Whether every block of the chunk is data on both sides and the same physical block. */
    private static boolean sameBlocks(List<Extents.Mapping> from, long sFirst, List<Extents.Mapping> to, long dFirst,
            int count) {
        if (from.size() != to.size()) {
            return false;
        }
        long covered = 0;
        for (int i = 0; i < from.size(); i++) {
            Extents.Mapping a = from.get(i);
            Extents.Mapping b = to.get(i);
            if (a.extent().unwritten() || b.extent().unwritten() || a.fileBlock() - sFirst != b.fileBlock() - dFirst
                    || a.extent().blocks() != b.extent().blocks()
                    || a.extent().physical() != b.extent().physical()) {
                return false;
            }
            covered += a.extent().blocks();
        }
        return covered == count;
    }

    /** The chunk's blocks into {@code buf} from its start: the extents read, zeros elsewhere. */
    private void read(List<Extents.Mapping> maps, long first, int count, ByteBuffer buf) throws IOException {
        long at = first;
        for (Extents.Mapping m : maps) {
            if (m.extent().unwritten()) {
                continue; // zeros: filled with the gaps below
            }
            io.zero(buf, at - first, m.fileBlock() - first);
            int n = (int) (m.fileEnd() - m.fileBlock());
            io.read(buf.slice((int) (m.fileBlock() - first) * blockSize, n * blockSize), m.extent().physical());
            at = m.fileEnd();
        }
        io.zero(buf, at - first, count);
    }

    /**
     * Checks the checksummed blocks read into {@code buf}: the source's ({@code buf} is
     * {@link #left}) digested and remembered, the destination's first {@code equalBlocks}
     * (equal to the source's) against the source's digest where there is one.
     */
    private void verify(String path, List<Extents.Mapping> maps, long first, ByteBuffer buf, int equalBlocks)
            throws IOException {
        boolean source = buf == left;
        byte[] actual = new byte[digestLength];
        for (Extents.Mapping m : maps) {
            if (m.extent().unwritten() || !m.extent().checksummed()) {
                continue;
            }
            int n = (int) m.extent().blocks();
            long physical = m.extent().physical();
            byte[] expected = core.treeLock.reading(() -> core.checksums.lookup(physical, n));
            if (expected == null) {
                throw new CorruptImageException(core.deviceUri.toString(), "blocks " + physical + "+" + n + " of "
                        + path + " have no checksums");
            }
            for (int k = 0; k < n; k++) {
                int b = (int) (m.fileBlock() - first) + k;
                int e = k * digestLength;
                if (source) {
                    core.checksum.digest(buf.slice(b * blockSize, blockSize), digests, b * digestLength);
                    digested[b] = true;
                    if (Arrays.equals(expected, e, e + digestLength, digests, b * digestLength,
                            (b + 1) * digestLength)) {
                        continue;
                    }
                    System.arraycopy(digests, b * digestLength, actual, 0, digestLength);
                } else if (b < equalBlocks && digested[b]) {
                    if (Arrays.equals(expected, e, e + digestLength, digests, b * digestLength,
                            (b + 1) * digestLength)) {
                        continue;
                    }
                    System.arraycopy(digests, b * digestLength, actual, 0, digestLength);
                } else {
                    core.checksum.digest(buf.slice(b * blockSize, blockSize), actual, 0);
                    if (Arrays.equals(expected, e, e + digestLength, actual, 0, digestLength)) {
                        continue;
                    }
                }
                throw new ChecksumMismatchException(core.name, path, (m.fileBlock() + k) * blockSize, physical + k,
                        core.checksum.name(), Arrays.copyOfRange(expected, e, e + digestLength), actual);
            }
        }
    }
}
