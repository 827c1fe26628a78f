package org.cowstack.storage.s3.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * The manifest, the commit point of an {@code s3:} device, read from a store that may
 * hold anything: every truncation, every bit flip and every out-of-range field (resealed
 * with a valid checksum) is refused with one line, never an exception of another kind.
 */
class ManifestTest {
    private static final String WHERE = "s3:t/vol";

    private static Manifest sample() {
        Map<Long, Long> objects = new TreeMap<>();
        objects.put(0L, Manifest.version(3, 7));
        objects.put(5L, Manifest.version(9, 1));
        objects.put(127L, Manifest.version(12, 0xFFFFFF));
        return new Manifest(8L << 20, 4096, 64 << 10, 12, objects, List.of(new long[] {5, Manifest.version(4, 2), 9}));
    }

    @Test
    void roundTrips() throws IOException {
        Manifest m = sample();
        Manifest back = Manifest.decode(m.encode(), WHERE);
        assertEquals(m.size, back.size);
        assertEquals(m.objectSize, back.objectSize);
        assertEquals(m.generation, back.generation);
        assertEquals(m.objects, back.objects);
        assertEquals(1, back.garbage.size());
        assertTrue(Arrays.equals(m.garbage.get(0), back.garbage.get(0)));
    }

    @Test
    void everyTruncationAndEveryBitFlipIsRefusedInOneLine() {
        byte[] good = sample().encode();
        for (int n = 0; n < good.length; n++) {
            refused(Arrays.copyOf(good, n));
        }
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            refused(bad);
        }
    }

    /** Fields a buggy or hostile writer could seal with a valid checksum. */
    @Test
    void outOfRangeFieldsWithAValidChecksumAreRefused() {
        byte[] good = sample().encode();
        int fields = Manifest.MAGIC.length + 4;
        // size, block size, object size, generation, entry count
        refused(resealed(good, fields, 8, -1));
        refused(resealed(good, fields, 8, 4095));
        refused(resealed(good, fields + 8, 4, 1000));
        refused(resealed(good, fields + 12, 4, 3 * 4096));
        refused(resealed(good, fields + 12, 4, Integer.MIN_VALUE));
        refused(resealed(good, fields + 16, 8, 2)); // generation below its objects'
        refused(resealed(good, fields + 24, 8, Long.MAX_VALUE));
        refused(resealed(good, fields + 24, 8, 4));
        int entries = fields + 32;
        refused(resealed(good, entries, 8, 128)); // object index past the device
        refused(resealed(good, entries + 16, 8, 0)); // a duplicate index (and out of order)
        refused(resealed(good, entries + 8, 8, -5));
        int garbage = entries + 3 * 16;
        refused(resealed(good, garbage, 8, 1000));
        // 24 * (2^61 + 1) wraps to 24, the length of the one entry (found by seed 3897983397271275566)
        refused(resealed(good, garbage, 8, (1L << 61) + 1));
        refused(resealed(good, garbage + 8 + 16, 8, 13)); // replaced after the manifest's generation
        refused(withFormat(good, 2));
    }

    @Test
    void randomBytesAreRefused() {
        long seed = Seeds.seed("ManifestTest.randomBytesAreRefused");
        Random r = new Random(seed);
        byte[] good = sample().encode();
        for (int i = 0; i < 2000; i++) {
            byte[] bad = good.clone();
            for (int k = 1 + r.nextInt(8); k > 0; k--) {
                bad[Manifest.MAGIC.length + 4 + r.nextInt(bad.length - Manifest.MAGIC.length - 8)] = (byte) r.nextInt();
            }
            if (!Arrays.equals(bad, good)) {
                refusedOrValid(reseal(bad));
            }
        }
    }

    private static byte[] withFormat(byte[] good, int format) {
        byte[] b = good.clone();
        ByteBuffer.wrap(b).putInt(Manifest.MAGIC.length, format);
        return reseal(b);
    }

    private static byte[] resealed(byte[] good, int at, int width, long value) {
        byte[] b = good.clone();
        if (width == 8) {
            ByteBuffer.wrap(b).putLong(at, value);
        } else {
            ByteBuffer.wrap(b).putInt(at, (int) value);
        }
        return reseal(b);
    }

    private static byte[] reseal(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    /** Refused with an IOException of one line naming the device. */
    private static void refused(byte[] bytes) {
        IOException e = assertThrows(IOException.class, () -> Manifest.decode(bytes, WHERE));
        assertTrue(e.getMessage().startsWith(WHERE), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /** Refused as above, or decoded to a consistent manifest (random bytes may land on valid values). */
    private static void refusedOrValid(byte[] bytes) {
        try {
            Manifest m = Manifest.decode(bytes, WHERE);
            assertTrue(m.size > 0 && m.objectSize >= m.blockSize && Integer.bitCount(m.objectSize) == 1,
                    "decoded an inconsistent manifest");
            m.objects.forEach((index, version) -> assertTrue(index < m.objectCount()
                    && Manifest.generationOf(version) <= m.generation));
        } catch (IOException e) {
            assertTrue(e.getMessage().startsWith(WHERE), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void aManifestOfAnotherFormatNamesBoth() {
        IOException e = assertThrows(IOException.class, () -> Manifest.decode(withFormat(sample().encode(), 2), WHERE));
        assertEquals(WHERE + " has manifest format 2; this version reads format 1 only", e.getMessage());
    }
}
