package org.cowstack.storage.cow.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.cowstack.storage.cow.format.ExtentItem;
import org.junit.jupiter.api.Test;

/**
 * The read cache by physical block (issue 19): one page per physical block whatever
 * number of files link it, per-file changes that keep the page for the others, physical
 * changes that drop it for all, the race guard of physical changes, pins and the counts.
 */
class PhysicalCacheTest {
    private static final int BS = 512;

    private static ByteBuffer pages(int count, int first) {
        ByteBuffer b = ByteBuffer.allocate(count * BS);
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < BS; k++) {
                b.put(i * BS + k, (byte) (first + i));
            }
        }
        return b;
    }

    /** File {@code inode}'s blocks {@code [index, index + count)} map physical blocks from {@code physical}. */
    private static void read(ReadCache c, long inode, long index, long physical, int count, int first) {
        c.insert(inode, index, physical, count, pages(count, first), 0, c.version(inode), c.physVersion(physical));
    }

    private static int firstByteOf(ReadCache c, long inode, long index) {
        ByteBuffer b = ByteBuffer.allocate(BS);
        return c.copyOut(inode, index, 0, b, BS) == BS ? b.get(0) : -1;
    }

    @Test
    void aBlockSeveralFilesMapIsCachedOnceAndCountsAsShared() {
        ReadCache c = new ReadCache(BS, 64 * BS);
        read(c, 1, 0, 100, 4, 1);
        assertEquals(0, c.sharedBytes(), "one file links them");
        assertEquals(4, c.link(2, 0, 100, 4, c.version(2)), "a clone finds all four by physical block");
        assertEquals(2, c.link(3, 10, 102, 5, c.version(3)), "up to the first physical block not cached");
        assertEquals(4L * BS, c.cachedBytes(), "held once");
        assertEquals(4L * BS, c.sharedBytes());
        assertEquals(3, firstByteOf(c, 3, 10));
        ByteBuffer out = ByteBuffer.allocate(4 * BS);
        assertEquals(4 * BS, c.copyOut(2, 0, 0, out, 4 * BS), "the clone's run, in one piece");
        assertEquals(pages(4, 1), out.flip());
        read(c, 4, 0, 100, 4, 77); // a fourth file reads the same blocks from the device
        assertEquals(1, firstByteOf(c, 4, 0), "the page cached already stays as it is");
        assertEquals(4L * BS, c.cachedBytes());
        assertEquals(0, c.link(5, 0, 100, 1, c.version(5) - 1), "a link with an old version is refused");
    }

    @Test
    void aChangeToOneFileForgetsItsLinksAndKeepsThePagesForTheOthers() {
        ReadCache c = new ReadCache(BS, 64 * BS);
        read(c, 1, 0, 100, 4, 1);
        c.link(2, 0, 100, 4, c.version(2));
        c.contentChanged(1, 0, 2 * BS);
        assertFalse(c.contains(1, 0) || c.contains(1, 1));
        assertTrue(c.contains(1, 2));
        assertEquals(1, firstByteOf(c, 2, 0), "the clone still reads its page");
        assertEquals(2L * BS, c.sharedBytes(), "blocks 2 and 3 are still linked twice");
        c.unmapped(2, 0, new ExtentItem(100, 4, 0));
        c.removed(2);
        assertEquals(0, c.sharedBytes());
        assertEquals(4L * BS, c.cachedBytes(), "pages stay until evicted or their blocks change");
        assertEquals(2, c.link(1, 0, 100, 2, c.version(1)), "the file maps them again: linked, not read");
        assertEquals(1, firstByteOf(c, 1, 0));
    }

    @Test
    void aRewrittenOrFreedBlockIsForgottenForEveryFile() {
        ReadCache c = new ReadCache(BS, 64 * BS);
        read(c, 1, 0, 100, 4, 1);
        c.link(2, 0, 100, 4, c.version(2));
        c.rewritten(100, 2);
        assertFalse(c.contains(1, 0) || c.contains(2, 0) || c.contains(1, 1) || c.contains(2, 1));
        assertFalse(c.containsPhysical(100));
        assertTrue(c.contains(1, 2) && c.contains(2, 2));
        c.freed(103, 1);
        assertFalse(c.contains(1, 3) || c.contains(2, 3));
        assertEquals(BS, c.cachedBytes());
        assertEquals(BS, c.sharedBytes());
        assertEquals(BS, c.copyOut(2, 0, 0, ByteBuffer.allocate(4 * BS), 4 * BS) + BS, "block 0 is gone");
        assertEquals(BS, c.copyOut(2, 2, 0, ByteBuffer.allocate(4 * BS), 4 * BS), "up to block 3");
        read(c, 3, 0, 100, 1, 9); // the new content of block 100
        assertEquals(9, firstByteOf(c, 3, 0));
        assertEquals(-1, firstByteOf(c, 1, 0), "the old link stays stale though the slot is used again");
    }

    @Test
    void aReadThatReadTheDeviceBeforeABlockChangedDoesNotCacheIt() {
        ReadCache c = new ReadCache(BS, 64 * BS);
        long v = c.version(1);
        long pv = c.physVersion(100);
        c.rewritten(100, 1); // written in place while the read was at the device
        c.insert(1, 0, 100, 2, pages(2, 1), 0, v, pv);
        assertFalse(c.containsPhysical(100), "the old content is not cached");
        assertFalse(c.contains(1, 0));
        assertTrue(c.containsPhysical(101) && c.contains(1, 1), "a block that did not change is");
        assertFalse(c.insertPhysical(100, pages(1, 1), pv));
        assertTrue(c.insertPhysical(100, pages(1, 5), c.physVersion(100)));
        assertEquals(5, firstByteOf(c, 2, 0) == -1 && c.link(2, 0, 100, 1, c.version(2)) == 1
                ? firstByteOf(c, 2, 0) : -1);

        long v3 = c.version(3);
        long pv3 = c.physVersion(200);
        c.contentChanged(3, 0, BS); // the file changed: not linked, but the physical page is good
        c.insert(3, 0, 200, 1, pages(1, 8), 0, v3, pv3);
        assertFalse(c.contains(3, 0));
        assertTrue(c.containsPhysical(200));
        c.freed(200, 1);
        assertFalse(c.insertPhysical(200, pages(1, 8), pv3));
    }

    @Test
    void aPinnedPageOutlivesEvictionAndARewriteUntilItIsUnpinned() {
        ReadCache c = new ReadCache(BS, 4 * BS);
        assertNull(c.pin(100), "not cached");
        read(c, 1, 0, 100, 1, 42);
        ByteBuffer view = c.pin(100);
        assertNotNull(view);
        assertTrue(view.isReadOnly());
        assertEquals(BS, view.remaining());
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 1));
        assertEquals(BS, c.pinnedBytes());
        for (int i = 0; i < 20; i++) {
            read(c, 2, i, 1000 + i, 1, i); // pressure: the others are evicted, not the pinned page
        }
        assertTrue(c.containsPhysical(100));
        assertEquals(4L * BS, c.cachedBytes());
        c.rewritten(100, 1);
        assertFalse(c.containsPhysical(100));
        assertFalse(c.contains(1, 0));
        for (int i = 0; i < 20; i++) {
            read(c, 2, i, 2000 + i, 1, i);
        }
        assertEquals(42, view.get(0), "the view still shows the bytes it pinned");
        assertEquals(42, view.get(BS - 1));
        assertEquals(BS, c.pinnedBytes());
        c.unpin(100, view);
        c.unpin(100, view); // twice: ignored
        assertEquals(0, c.pinnedBytes());
        for (int i = 0; i < 4; i++) {
            read(c, 3, i, 3000 + i, 1, 50 + i);
        }
        assertEquals(4L * BS, c.cachedBytes(), "the slot is free again, then used");
        assertEquals(53, firstByteOf(c, 3, 3));
    }

    @Test
    void pinsCountAndEveryPinKeepsItsPage() {
        ReadCache c = new ReadCache(BS, 2 * BS);
        read(c, 1, 0, 100, 2, 1);
        ByteBuffer a = c.pin(100);
        ByteBuffer b = c.pin(100);
        ByteBuffer d = c.pin(101);
        assertEquals(2L * BS, c.pinnedBytes());
        read(c, 2, 0, 500, 1, 9);
        assertFalse(c.containsPhysical(500), "everything pinned: nothing is evicted, nothing cached");
        c.unpin(100, a);
        assertTrue(c.containsPhysical(100), "one pin left");
        c.unpin(100, b);
        c.unpin(101, d);
        read(c, 2, 0, 500, 1, 9);
        assertTrue(c.containsPhysical(500));
        c.maxBytes(BS);
        assertEquals(BS, c.cachedBytes());
    }

    @Test
    void closingKeepsSlabsWithPinnedPagesFromTheNextVolume() {
        ReadCache c = new ReadCache(BS, 3 * BS); // a slab of its own size: no other test's
        read(c, 1, 0, 100, 3, 7);
        ByteBuffer view = c.pin(101);
        c.close();
        assertEquals(0, c.cachedBytes());
        assertEquals(0, c.pinnedBytes());
        ReadCache next = new ReadCache(BS, 3 * BS);
        read(next, 1, 0, 100, 3, 20);
        assertEquals(8, view.get(0), "the view shows what it pinned, not the next volume's data");
        c.unpin(101, view); // after close: ignored
    }

    @Test
    void aStreamDropsBehindItsOwnPagesButNotThoseAnotherFileLinks() {
        ReadCache c = new ReadCache(BS, 8 * BS);
        read(c, 1, 0, 100, 4, 1);
        c.link(2, 0, 100, 4, c.version(2)); // a clone read the same blocks
        read(c, 2, 4, 200, 4, 5); // and four of its own
        assertEquals(6, c.dropBehind(2, 0, 8, 2), "its blocks 4 and 5 made the room");
        assertTrue(c.contains(1, 0) && c.contains(1, 3), "the pages the other file links stay");
        assertFalse(c.contains(2, 0), "the stream's links go");
        assertFalse(c.contains(2, 4) && c.contains(2, 5), "its own pages go");
        assertEquals(6L * BS, c.cachedBytes());
    }

    @Test
    void theMapFromPhysicalBlocksToSlotsAgreesWithAHashMap() {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        LongIntMap m = new LongIntMap();
        Map<Long, Integer> expected = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            long key = r.nextInt(5000) * 7919L;
            if (r.nextInt(3) == 0) {
                Integer e = expected.remove(key);
                assertEquals(e == null ? -1 : e, m.remove(key), "seed " + seed);
            } else {
                int v = r.nextInt(1 << 20);
                expected.put(key, v);
                m.put(key, v);
            }
            if (step % 1000 == 0) {
                assertEquals(expected.size(), m.size(), "seed " + seed);
            }
        }
        for (long k = 0; k < 5000 * 7919L; k += 7919) {
            assertEquals(expected.getOrDefault(k, -1), m.get(k), "seed " + seed);
        }
    }
}
