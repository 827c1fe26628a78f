package org.cowstack.storage.cow.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.csum.Crc32c;
import org.junit.jupiter.api.Test;

/** The superblock's root table, profiles and format version. */
class SuperblockTest {
    private static final ChecksumAlgorithm CRC = new Crc32c();
    private static final int BS = 4096;
    private static final long TOTAL = 16384;

    private static Map<Integer, Superblock.Root> roots() {
        TreeMap<Integer, Superblock.Root> roots = new TreeMap<>();
        long block = 100;
        for (TreeId t : TreeId.values()) {
            roots.put(t.id(), new Superblock.Root(block++, 7, t.ordinal()));
        }
        return roots;
    }

    private static Superblock sb(Map<Integer, Superblock.Root> roots, Profile data) {
        return new Superblock(UUID.randomUUID(), "label", BS, CRC.id(), data, Profile.SINGLE, 7, TOTAL, 300, 50, 0, 0,
                0, roots);
    }

    private static Superblock decode(ByteBuffer raw) throws Exception {
        return Superblock.decode(raw, "mem:t", id -> id == CRC.id() ? CRC : null);
    }

    /** Changes the encoded bytes and seals them again with the checksum, as a valid but different superblock. */
    private static ByteBuffer reseal(ByteBuffer raw, java.util.function.Consumer<ByteBuffer> change) {
        ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(raw.duplicate()).flip();
        change.accept(b);
        byte[] digest = new byte[CRC.digestLength()];
        CRC.digest(b.duplicate().position(32).limit(Superblock.SIZE), digest, 0);
        b.put(0, digest);
        return b;
    }

    @Test
    void theRootTableRoundTripsAndCarriesTreesThisEngineDoesNotKnow() throws Exception {
        Map<Integer, Superblock.Root> roots = new TreeMap<>(roots());
        roots.put(42, new Superblock.Root(4000, 6, 1)); // a tree a later engine added
        Superblock written = sb(roots, Profile.SINGLE);
        Superblock read = decode(written.encode(CRC));
        assertEquals(roots, read.roots());
        assertEquals(new Superblock.Root(100, 7, 0), read.root(TreeId.FS));
        assertEquals(Profile.SINGLE, read.dataProfile);
        assertEquals("label", read.label);

        Map<Integer, Superblock.Root> changed = Map.of(TreeId.FS.id(), new Superblock.Root(5000, 8, 2));
        Superblock next = read.next(8, 301, 51, changed);
        assertEquals(new Superblock.Root(4000, 6, 1), next.roots().get(42), "the unknown tree's row is kept");
        assertEquals(new Superblock.Root(5000, 8, 2), decode(next.encode(CRC)).root(TreeId.FS));
    }

    @Test
    void aTableWithoutATreeThisEngineNeedsOrWithOneTwiceIsCorrupt() throws Exception {
        Map<Integer, Superblock.Root> roots = new TreeMap<>(roots());
        roots.remove(TreeId.CSUM.id());
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> decode(sb(roots, Profile.SINGLE).encode(CRC)));
        assertTrue(e.getMessage().contains("no row for the csum tree"), e.getMessage());

        ByteBuffer twice = reseal(sb(roots(), Profile.SINGLE).encode(CRC), b -> b.putShort(384 + 32, b.getShort(384)));
        e = assertThrows(CorruptImageException.class, () -> decode(twice));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());

        ByteBuffer outside = reseal(sb(roots(), Profile.SINGLE).encode(CRC), b -> b.putLong(384 + 8, TOTAL + 5));
        e = assertThrows(CorruptImageException.class, () -> decode(outside));
        assertTrue(e.getMessage().contains("outside the volume"), e.getMessage());

        ByteBuffer mirrorOutside = reseal(sb(roots(), Profile.SINGLE).encode(CRC), b -> b.putLong(384 + 24, TOTAL));
        e = assertThrows(CorruptImageException.class, () -> decode(mirrorOutside));
        assertTrue(e.getMessage().contains("outside the volume"), e.getMessage());

        ByteBuffer huge = reseal(sb(roots(), Profile.SINGLE).encode(CRC), b -> b.putShort(54, (short) 1000));
        e = assertThrows(CorruptImageException.class, () -> decode(huge));
        assertTrue(e.getMessage().contains("root table of 1000 rows"), e.getMessage());
    }

    @Test
    void anotherFormatVersionIsRefusedInOneLineNamingBothVersions() throws Exception {
        ByteBuffer good = sb(roots(), Profile.SINGLE).encode(CRC);
        for (int version : new int[] {1, Superblock.VERSION + 1}) {
            ByteBuffer other = reseal(good, b -> b.putInt(40, version));
            NotSupportedException e = assertThrows(NotSupportedException.class, () -> decode(other));
            assertTrue(e.getMessage().contains("format version " + version + " is "), e.getMessage());
            assertTrue(e.getMessage().contains("format version " + Superblock.VERSION), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }

    @Test
    void profilesAreKeptAndUnknownOnesRefusedByName() throws Exception {
        assertEquals(Profile.DUP, decode(sb(roots(), Profile.DUP).encode(CRC)).dataProfile);
        NotSupportedException e;
        ByteBuffer unknown = reseal(sb(roots(), Profile.SINGLE).encode(CRC), b -> b.put(53, (byte) 9));
        e = assertThrows(NotSupportedException.class, () -> decode(unknown));
        assertTrue(e.getMessage().contains("metadata profile has code 9"), e.getMessage());
    }
}
