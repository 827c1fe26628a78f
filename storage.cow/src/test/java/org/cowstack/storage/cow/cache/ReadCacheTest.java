package org.cowstack.storage.cow.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.cowstack.storage.cow.format.ExtentItem;
import org.junit.jupiter.api.Test;

/** The read cache on its own: runs, versions against racing changes, CLOCK, drop-behind and resizing. */
class ReadCacheTest {
    private static final int BS = 512;

    private static ByteBuffer pages(int count, int first) {
        ByteBuffer b = ByteBuffer.allocateDirect(count * BS);
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < BS; k++) {
                b.put(i * BS + k, (byte) (first + i));
            }
        }
        return b;
    }

    /** Pages of a file whose block {@code index} maps physical block {@code inode * 1_000_000 + index}. */
    static void insert(ReadCache c, long inode, long index, int count, ByteBuffer src, long version) {
        c.insert(inode, index, inode * 1_000_000 + index, count, src, 0, version, c.physVersion(0));
    }

    private static int firstByteOf(ReadCache c, long inode, long index) {
        ByteBuffer b = ByteBuffer.allocate(BS);
        return c.copyOut(inode, index, 0, b, BS) == BS ? b.get(0) : -1;
    }

    @Test
    void aRunIsCopiedUntilTheFirstPageNotCached() {
        ReadCache c = new ReadCache(BS, 64 * BS);
        insert(c, 7, 10, 4, pages(4, 1), c.version(7));
        ByteBuffer out = ByteBuffer.allocate(10 * BS);
        assertEquals(4 * BS - 3, c.copyOut(7, 10, 3, out, 10 * BS), "from byte 3 of block 10 to the end of 13");
        assertEquals(1, out.get(0));
        assertEquals(4, out.get(4 * BS - 4));
        assertEquals(0, c.copyOut(7, 14, 0, ByteBuffer.allocate(BS), BS));
        assertEquals(0, c.copyOut(8, 10, 0, ByteBuffer.allocate(BS), BS), "another file");
        assertEquals(4L * BS, c.cachedBytes());
    }

    @Test
    void aChangeReportedAfterTheVersionWasTakenKeepsTheReadOut() {
        ReadCache c = new ReadCache(BS, 64 * BS);
        long v = c.version(7);
        c.contentChanged(7, 0, 1); // a write reported while the read was at the device
        insert(c, 7, 0, 2, pages(2, 1), v);
        assertFalse(c.contains(7, 0), "old data is not cached");
        insert(c, 7, 0, 2, pages(2, 1), c.version(7));
        assertTrue(c.contains(7, 1));
        c.unmapped(7, 1, new ExtentItem(100, 1, 0));
        assertFalse(c.contains(7, 1));
        assertTrue(c.contains(7, 0));
        c.resized(7, 10 * BS, BS / 2);
        assertFalse(c.contains(7, 0), "the block the file now ends in");
        insert(c, 9, 0, 3, pages(3, 1), c.version(9));
        c.removed(9);
        assertFalse(c.contains(9, 0));
        assertEquals(5L * BS, c.cachedBytes(), "the pages stay, by physical block, for whatever maps them");
    }

    @Test
    void clockGivesAPageReadSinceTheHandPassedAnotherRound() {
        ReadCache c = new ReadCache(BS, 4 * BS);
        insert(c, 1, 0, 4, pages(4, 1), c.version(1));
        assertEquals(1, firstByteOf(c, 1, 0)); // block 0 is referenced
        insert(c, 2, 0, 1, pages(1, 9), c.version(2));
        assertTrue(c.contains(1, 0), "referenced: kept");
        assertFalse(c.contains(1, 1), "the first one not read: evicted");
        assertEquals(4L * BS, c.cachedBytes());
    }

    @Test
    void dropBehindFreesTheStreamsOwnPagesFirst() {
        ReadCache c = new ReadCache(BS, 8 * BS);
        insert(c, 1, 0, 2, pages(2, 1), c.version(1)); // another file's pages
        insert(c, 2, 0, 6, pages(6, 1), c.version(2)); // a stream's, read up to block 6
        assertEquals(3, c.dropBehind(2, 0, 6, 3), "the next block to drop from");
        insert(c, 2, 6, 3, pages(3, 1), c.version(2));
        assertTrue(c.contains(1, 0) && c.contains(1, 1), "the other file stays");
        assertFalse(c.contains(2, 2));
        assertTrue(c.contains(2, 3));
        assertEquals(8L * BS, c.cachedBytes());
    }

    @Test
    void aSmallerSizeEvictsAtOnceAndALargerOneFillsAgain() {
        ReadCache c = new ReadCache(BS, 4096L * BS);
        insert(c, 1, 0, 100, pages(100, 0), c.version(1));
        c.maxBytes(10 * BS);
        assertEquals(10L * BS, c.maxBytes());
        assertTrue(c.cachedBytes() <= 10L * BS, "evicted down to the limit");
        c.maxBytes(200L * BS);
        insert(c, 1, 0, 100, pages(100, 0), c.version(1));
        assertEquals(100L * BS, c.cachedBytes());
        assertEquals(50, firstByteOf(c, 1, 50));
    }
}
