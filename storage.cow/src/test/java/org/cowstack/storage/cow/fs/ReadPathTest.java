package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.CacheUsage;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;
import org.junit.jupiter.api.Test;

/**
 * The read path (issue 17): verified reads through pooled buffers, the read cache,
 * read-ahead of sequential streams and drop-behind, and that a corrupted block is
 * still reported, whether the read or the read-ahead met it first.
 */
class ReadPathTest {
    private static final int BLOCK = 4096;
    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:readpath");

    /** Reads the whole file through one handle in pieces of {@code piece} bytes. */
    private static byte[] stream(CowVolume v, String path, int piece) throws IOException {
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            byte[] all = new byte[(int) f.size()];
            for (int at = 0; at < all.length; at += piece) {
                ByteBuffer b = ByteBuffer.wrap(all, at, Math.min(piece, all.length - at)).slice();
                while (b.hasRemaining()) {
                    if (f.read(b, at + b.position()) < 0) {
                        break;
                    }
                }
            }
            return all;
        }
    }

    private CowVolume volumeWith(String path, byte[] data) throws IOException {
        CowVolume v = volumes.fresh(uri, 64 << 20);
        Volumes.write(v, path, 0, data);
        v.unmount();
        return volumes.mount(uri); // nothing cached
    }

    @Test
    void aSequentialStreamIsReadAheadAndAFileThatFitsIsServedFromTheCacheTheSecondTime() throws IOException {
        byte[] data = ChecksumAlgorithmContract.pattern(4 << 20);
        CowVolume v = volumeWith("/f", data);
        assertArrayEquals(data, stream(v, "/f", BLOCK), "4 KiB sequential reads");
        CacheUsage first = v.cache();
        assertTrue(first.readAheadBytes() > 0, "read ahead: " + first);
        assertTrue(first.hits() > first.misses(), "most 4 KiB reads found their block read ahead: " + first);
        assertEquals(data.length, first.cached(), "the whole file is cached: " + first);
        assertArrayEquals(data, stream(v, "/f", 1 << 20), "1 MiB reads");
        CacheUsage second = v.cache();
        assertEquals(first.misses(), second.misses(), "the second read came from the cache: " + second);
        v.unmount();
    }

    @Test
    void aStreamLargerThanTheCacheDropsBehindAndKeepsWhatOthersReuse() throws IOException {
        CowVolume v = volumes.fresh(uri, 64 << 20);
        byte[] small = ChecksumAlgorithmContract.pattern(256 << 10);
        byte[] big = ChecksumAlgorithmContract.pattern(8 << 20);
        Volumes.write(v, "/small", 0, small);
        Volumes.write(v, "/big", 0, big);
        v.unmount();
        v = volumes.mount(uri);
        v.cacheSize(1 << 20);
        assertArrayEquals(small, stream(v, "/small", small.length));
        assertArrayEquals(small, stream(v, "/small", small.length));
        long missesBefore = v.cache().misses();
        assertArrayEquals(big, stream(v, "/big", 64 << 10), "8 MiB through a 1 MiB cache");
        assertTrue(v.cache().cached() <= 1 << 20, "bounded by the configured size: " + v.cache());
        long missesAfterBig = v.cache().misses();
        assertArrayEquals(small, stream(v, "/small", small.length));
        assertEquals(missesAfterBig, v.cache().misses(), "the small file stayed cached (misses before the stream: "
                + missesBefore + ")");
        v.unmount();
    }

    @Test
    void aCorruptedBlockIsReportedByTheReadThatAsksForItEvenWhenReadAheadMetItFirst() throws IOException {
        byte[] data = ChecksumAlgorithmContract.pattern(2 << 20);
        CowVolume v = volumes.fresh(uri, 64 << 20);
        Volumes.write(v, "/f", 0, data);
        List<ExtentMapping> map;
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            map = f.extents(0, 0);
        }
        v.unmount();
        long bad = 300; // file block: well inside the read-ahead of a stream from 0
        long physical = physicalOf(map, bad * BLOCK);
        flip(physical + 100);
        v = volumes.mount(uri);
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            int chunk = 64 << 10;
            Mismatch found = streamToMismatch(f, data, chunk);
            ChecksumMismatchException e = found.error();
            assertEquals(bad * BLOCK / chunk * chunk, found.at(), "by the read that covers it");
            assertEquals("/f", e.file());
            assertEquals(bad * BLOCK, e.offset());
            assertEquals(physical / BLOCK, e.block());
            assertThrows(ChecksumMismatchException.class, () -> f.read(ByteBuffer.allocate(BLOCK), bad * BLOCK),
                    "and again: it was never cached");
            ByteBuffer after = ByteBuffer.allocate(BLOCK);
            assertEquals(BLOCK, f.read(after, (bad + 1) * BLOCK));
            assertArrayEquals(Arrays.copyOfRange(data, (int) (bad + 1) * BLOCK, (int) (bad + 2) * BLOCK),
                    after.array(), "the next block reads fine");
        }
        v.unmount();
    }

    @Test
    void aCorruptedBlockFarIntoAStreamInALaterExtentIsReportedForExactlyThatBlock() throws IOException {
        byte[] data = ChecksumAlgorithmContract.pattern(40 << 20);
        CowVolume v = volumes.fresh(uri, 128 << 20);
        Volumes.write(v, "/f", 0, Arrays.copyOf(data, 24 << 20));
        Volumes.write(v, "/other", 0, ChecksumAlgorithmContract.pattern(1 << 20)); // the file in two extents
        Volumes.write(v, "/f", 24 << 20, Arrays.copyOfRange(data, 24 << 20, data.length));
        List<ExtentMapping> map;
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            map = f.extents(0, 0);
        }
        v.unmount();
        long bad = 9000; // 35 MiB into the stream, in the second extent
        long physical = physicalOf(map, bad * BLOCK);
        flip(physical + 7);
        v = volumes.mount(uri);
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            int chunk = 1 << 20;
            Mismatch found = streamToMismatch(f, data, chunk);
            ChecksumMismatchException e = found.error();
            assertEquals(bad * BLOCK / chunk * chunk, found.at(), "by the read that covers it");
            assertEquals(bad * BLOCK, e.offset());
            assertEquals(physical / BLOCK, e.block());
            ByteBuffer rest = ByteBuffer.allocate(data.length - (int) (bad + 1) * BLOCK);
            while (rest.hasRemaining()) {
                f.read(rest, (bad + 1) * BLOCK + rest.position());
            }
            assertArrayEquals(Arrays.copyOfRange(data, (int) (bad + 1) * BLOCK, data.length), rest.array(),
                    "everything after it reads fine");
        }
        assertTrue(v.cache().readAheadBytes() > 32 << 20, "the stream was read ahead: " + v.cache());
        v.unmount();
    }

    @Test
    void theReadCacheFollowsWritesDirectWritesTruncatesAndPunches() throws IOException {
        byte[] data = ChecksumAlgorithmContract.pattern(1 << 20);
        CowVolume v = volumeWith("/f", data);
        assertArrayEquals(data, Volumes.readAll(v, "/f"));
        byte[] expected = data.clone();
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.writeDirect(Volumes.filled(8 * BLOCK, 0x11), 16 * BLOCK);
            Arrays.fill(expected, 16 * BLOCK, 24 * BLOCK, (byte) 0x11);
            assertArrayEquals(expected, Volumes.readAll(v, "/f"), "after a direct write");
            f.write(Volumes.filled(100, 0x22), 5 * BLOCK + 7);
            f.fsync();
            Arrays.fill(expected, 5 * BLOCK + 7, 5 * BLOCK + 107, (byte) 0x22);
            assertArrayEquals(expected, Volumes.readAll(v, "/f"), "after a buffered write and its commit");
            f.fallocate(FallocateMode.PUNCH_HOLE, 32 * BLOCK, 4 * BLOCK);
            Arrays.fill(expected, 32 * BLOCK, 36 * BLOCK, (byte) 0);
            assertArrayEquals(expected, Volumes.readAll(v, "/f"), "after a punch");
            f.truncate(40 * BLOCK + 5);
            f.truncate(data.length);
            Arrays.fill(expected, 40 * BLOCK + 5, data.length, (byte) 0);
            assertArrayEquals(expected, Volumes.readAll(v, "/f"), "after a truncate and a grow");
        }
        v.delete("/f");
        Volumes.write(v, "/f", 0, new byte[] {9});
        assertArrayEquals(new byte[] {9}, Volumes.readAll(v, "/f"), "a new file of the same name");
        v.unmount();
    }

    /** Where a stream of reads met the checksum error, and the error. */
    private record Mismatch(long at, ChecksumMismatchException error) {
    }

    /**
     * Reads the file as a stream of {@code chunk}-byte reads from 0, each checked against
     * {@code data}, until one fails with a checksum error; fails the test if none does.
     */
    private static Mismatch streamToMismatch(FileHandle f, byte[] data, int chunk) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(chunk);
        for (long at = 0; at < data.length; at += chunk) {
            b.clear();
            try {
                f.read(b, at);
            } catch (ChecksumMismatchException x) {
                return new Mismatch(at, x);
            }
            assertArrayEquals(Arrays.copyOfRange(data, (int) at, (int) at + chunk), b.array(),
                    "verified data before the bad block, at " + at);
        }
        return fail("the bad block was reported");
    }

    private static long physicalOf(List<ExtentMapping> map, long offset) {
        for (ExtentMapping m : map) {
            if (offset >= m.logical() && offset < m.logical() + m.length()) {
                return m.physical() + offset - m.logical();
            }
        }
        throw new AssertionError("offset " + offset + " is not mapped: " + map);
    }

    private void flip(long offset) throws IOException {
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
            long sector = offset - offset % 512;
            ByteBuffer b = ByteBuffer.allocate(512);
            d.read(b, sector);
            b.put((int) (offset - sector), (byte) (b.get((int) (offset - sector)) ^ 0x10)).clear();
            d.write(b, sector);
        }
    }
}
