package org.cowstack.storage.cow.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.TreeMap;
import java.util.UUID;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.csum.Crc32c;
import org.junit.jupiter.api.Test;

/** Values image fuzzing (ImageFuzzTest) found unchecked, refused where they are decoded. */
class FuzzBoundsTest {
    private static final ChecksumAlgorithm CRC = new Crc32c();

    /** An extent or run whose end overflows made check's range tests pass and its maps throw. */
    @Test
    void extentsAndRunsWhoseEndOverflowsAreCorruption() {
        Corruption e = assertThrows(Corruption.class, () -> new ExtentItem(10, Long.MAX_VALUE, 0));
        assertTrue(e.getMessage().contains("extent 10+" + Long.MAX_VALUE), e.getMessage());
        assertThrows(Corruption.class, () -> new ExtentItem(10, 4, 0, Long.MAX_VALUE - 1));
        assertEquals(4, new ExtentItem(10, 4, 0, Long.MAX_VALUE - 4).blocks(), "the largest end that fits");
        byte[] huge = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).putInt(1).array();
        assertThrows(Corruption.class, () -> RefRun.decode(RefRun.key(100), huge));
        assertThrows(Corruption.class, () -> RefRun.decode(RefRun.key(-5), new RefRun(0, 1, 1).encode()));
    }

    private static ByteBuffer superblock(long generation, long nextInode) {
        return superblock(generation, nextInode, 0);
    }

    private static ByteBuffer superblock(long generation, long nextInode, long rootMirror) {
        TreeMap<Integer, Superblock.Root> roots = new TreeMap<>();
        for (TreeId t : TreeId.values()) {
            roots.put(t.id(), new Superblock.Root(100 + t.ordinal(), 7, 0, rootMirror));
        }
        return new Superblock(UUID.randomUUID(), "", 4096, CRC.id(), Profile.SINGLE, Profile.SINGLE, generation, 16384,
                nextInode, 50, 0, 0, 0, roots).encode(CRC);
    }

    /** A generation near the end of a long let the next commit overflow into one mount refuses. */
    @Test
    void generationsAndInodeNumbersThatCannotGoOnAreRefused() throws Exception {
        assertEquals(Superblock.MAX_GENERATION, Superblock.decode(superblock(Superblock.MAX_GENERATION, 300), "t",
                id -> CRC).generation);
        CorruptImageException g = assertThrows(CorruptImageException.class,
                () -> Superblock.decode(superblock(Long.MAX_VALUE, 300), "t", id -> CRC));
        assertTrue(g.getMessage().contains("generation " + Long.MAX_VALUE), g.getMessage());
        CorruptImageException i = assertThrows(CorruptImageException.class,
                () -> Superblock.decode(superblock(7, Long.MAX_VALUE), "t", id -> CRC));
        assertTrue(i.getMessage().contains("next inode " + Long.MAX_VALUE), i.getMessage());
    }

    /** Freeing a root frees its second copy too: under single metadata a block named as one is someone else's. */
    @Test
    void aRootWithASecondCopyIsRefusedWhereMetadataHasOne() {
        CorruptImageException e = assertThrows(CorruptImageException.class,
                () -> Superblock.decode(superblock(7, 300, 97), "t", id -> CRC));
        assertTrue(e.getMessage().contains("has a second copy, but metadata has one"), e.getMessage());
    }
}
