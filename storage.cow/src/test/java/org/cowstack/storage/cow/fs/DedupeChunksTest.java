package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Dedupe's comparison over many chunks, shared by the caller and a helper thread: the
 * answer is the one a sequential comparison gives (the first difference or bad block in
 * file order decides; nothing changes unless all is equal), a destination block is
 * verified even where its source's digest stands in for its own, and blocks already
 * shared are equal without being read.
 */
class DedupeChunksTest {
    private static final int K = 4096;
    private static final int CHUNK = 1 << 20;
    private static final int LENGTH = 10 * CHUNK + 3 * K; // ten chunks and a part: both workers get some

    private final Volumes volumes = Volumes.mem();
    private URI uri;

    private static byte[] pattern(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private CowVolume twins(byte[] a, byte[] b) throws IOException {
        uri = URI.create("mem:dedupe-chunks-" + System.nanoTime()); // a fresh device each time
        CowVolume v = volumes.fresh(uri, 96 << 20, FormatOptions.defaults());
        Volumes.write(v, "/a", 0, a);
        Volumes.write(v, "/b", 0, b);
        v.sync();
        return v;
    }

    private static DedupeResult dedupe(CowVolume v, long offset, long length) throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            return b.dedupeRange(a, offset, offset, length);
        }
    }

    private static List<ExtentMapping> extents(CowVolume v, String path) throws IOException {
        try (FileHandle f = v.open(path, Volumes.RW)) {
            return f.extents(0, 0);
        }
    }

    /** The device byte offset of file byte {@code offset} of {@code path}. */
    private static long physical(CowVolume v, String path, long offset) throws IOException {
        ExtentMapping e = extents(v, path).stream()
                .filter(m -> m.logical() <= offset && offset < m.logical() + m.length()).findFirst().orElseThrow();
        return e.physical() + offset - e.logical();
    }

    /** Unmounts, overwrites {@code data.length} bytes of the device at {@code at}, mounts again. */
    private CowVolume overwrite(CowVolume v, long at, byte[] data) throws IOException {
        v.unmount();
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
            d.write(ByteBuffer.wrap(data), at);
        }
        return volumes.mount(uri);
    }

    private static byte[] block(byte[] data, int block) {
        byte[] b = new byte[K];
        System.arraycopy(data, block * K, b, 0, K);
        return b;
    }

    @Test
    void aDifferenceInAnyBlockSharesNothingAndTheEqualBlocksBeforeItCanBeShared() throws IOException {
        long seed = Seeds.seed("DedupeChunksTest.difference");
        SplittableRandom random = new SplittableRandom(seed);
        int blocks = (LENGTH + K - 1) / K;
        int[] where = {0, blocks - 1, CHUNK / K, CHUNK / K - 1, 5 * CHUNK / K, random.nextInt(blocks),
            random.nextInt(blocks)};
        for (int k : where) {
            byte[] a = pattern(seed + k, LENGTH);
            byte[] b = a.clone();
            int at = Math.min(LENGTH - 1, k * K + random.nextInt(K));
            b[at] ^= (byte) (1 + random.nextInt(255));
            CowVolume v = twins(a, b);
            List<ExtentMapping> before = extents(v, "/b");
            for (int round = 0; round < 5; round++) {
                DedupeResult r = dedupe(v, 0, LENGTH);
                assertTrue(r.differs(), "byte " + at + " differs (seed " + seed + ", round " + round + ")");
                assertEquals(0, r.bytesDeduped());
            }
            assertEquals(before, extents(v, "/b"), "a dedupe that differs changes nothing");
            DedupeResult head = dedupe(v, 0, (long) k * K);
            assertEquals(new DedupeResult((long) k * K, false), head, "the equal blocks before block " + k);
            for (int s = 0; s < k; s += 97) {
                assertEquals(physical(v, "/a", (long) s * K), physical(v, "/b", (long) s * K), "block " + s);
            }
            if (k < blocks - 1) {
                assertFalse(physical(v, "/a", (long) (k + 1) * K) == physical(v, "/b", (long) (k + 1) * K),
                        "nothing after the request is shared");
            }
            assertArrayEquals(b, Volumes.readAll(v, "/b"));
            assertEquals(List.of(), v.audit());
            v.unmount();
        }
    }

    @Test
    void aDestinationBlockEqualToItsSourceButNotToItsOwnChecksumFailsNamingIt() throws IOException {
        long seed = Seeds.seed("DedupeChunksTest.destinationChecksum");
        int k = 7 * CHUNK / K + 3;
        byte[] a = pattern(seed, LENGTH);
        byte[] b = a.clone();
        b[k * K + 11] ^= 0x40; // stored with its own checksum, then made equal to /a on the device
        CowVolume v = twins(a, b);
        long at = physical(v, "/b", (long) k * K);
        v = overwrite(v, at, block(a, k));
        CowVolume again = v;
        List<ExtentMapping> before = extents(again, "/b");
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                () -> dedupe(again, 0, LENGTH));
        assertEquals("/b", e.file());
        assertEquals((long) k * K, e.offset());
        assertEquals(before, extents(again, "/b"), "a failed dedupe changes nothing");
        again.unmount();
    }

    @Test
    void aCorruptSourceBlockFailsNamingItAndChangesNothing() throws IOException {
        long seed = Seeds.seed("DedupeChunksTest.sourceChecksum");
        int k = 9 * CHUNK / K + 1;
        byte[] a = pattern(seed, LENGTH);
        CowVolume v = twins(a, a);
        byte[] bad = block(a, k);
        bad[100] ^= 1;
        v = overwrite(v, physical(v, "/a", (long) k * K), bad);
        CowVolume again = v;
        List<ExtentMapping> before = extents(again, "/b");
        for (int round = 0; round < 20; round++) { // whichever worker meets the bad block, and however late
            ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                    () -> dedupe(again, 0, LENGTH), "round " + round);
            assertEquals("/a", e.file());
            assertEquals((long) k * K, e.offset());
        }
        assertEquals(before, extents(again, "/b"));
        again.unmount();
    }

    @Test
    void theFirstDifferenceOrBadBlockInFileOrderDecides() throws IOException {
        long seed = Seeds.seed("DedupeChunksTest.order");
        byte[] a = pattern(seed, LENGTH);
        int early = 2 * CHUNK / K + 5;
        int late = 8 * CHUNK / K + 9;
        for (boolean corruptFirst : new boolean[] {false, true}) {
            int corrupt = corruptFirst ? early : late;
            byte[] b = a.clone();
            b[(corruptFirst ? late : early) * K + 1] ^= 1;
            CowVolume v = twins(a, b);
            byte[] bad = block(a, corrupt);
            bad[0] ^= 1;
            v = overwrite(v, physical(v, "/a", (long) corrupt * K), bad);
            CowVolume again = v;
            if (corruptFirst) {
                ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                        () -> dedupe(again, 0, LENGTH));
                assertEquals((long) corrupt * K, e.offset());
            } else {
                assertEquals(new DedupeResult(0, true), dedupe(again, 0, LENGTH),
                        "the difference comes before the bad block");
            }
            again.unmount();
        }
    }

    @Test
    void blocksAlreadySharedAreEqualWithoutBeingRead() throws IOException {
        long seed = Seeds.seed("DedupeChunksTest.shared");
        byte[] a = pattern(seed, LENGTH);
        CowVolume v = twins(a, a);
        assertEquals(new DedupeResult(LENGTH, false), dedupe(v, 0, LENGTH));
        long at = physical(v, "/b", 4L * CHUNK);
        assertEquals(physical(v, "/a", 4L * CHUNK), at);
        byte[] bad = block(a, 4 * CHUNK / K);
        bad[9] ^= 1;
        v = overwrite(v, at, bad); // would fail its checksum, if it were read
        assertEquals(new DedupeResult(LENGTH, false), dedupe(v, 0, LENGTH));
        v.unmount();
    }
}
