package org.cowstack.storage.cow.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * {@link ReadCache#copyOut} copies runs of pages in consecutive slots in one piece: runs
 * that cross a slab's end, stop at a page not cached, or continue in a slot that is not
 * the next one must still give each page's own, current bytes.
 */
class ReadCacheRunTest {
    /** Large pages, so that a few hundred fill a slab: 255 pages per slab. */
    private static final int BS = 64 << 10;
    private static final int SLAB_PAGES = ReadCache.SLAB_BYTES / BS - 1;

    /** Page {@code index} of {@code inode} at generation {@code gen}: bytes that differ from those of any other page. */
    private static void fill(ByteBuffer b, int at, long inode, long index, int gen) {
        for (int k = 0; k < BS; k += 4) {
            b.putInt(at + k, (int) (inode * 1_000_003 + index * 7_919 + gen * 104_729 + k));
        }
    }

    private static ByteBuffer pages(long inode, long index, int count, Map<Long, Integer> gens) {
        ByteBuffer b = ByteBuffer.allocate(count * BS);
        for (int i = 0; i < count; i++) {
            fill(b, i * BS, inode, index + i, gens.getOrDefault(key(inode, index + i), 0));
        }
        return b;
    }

    /**
     * Inserts the pages page by page, each by a physical block of its own per generation
     * (a changed page is written elsewhere, as copy-on-write does).
     */
    private static void insert(ReadCache c, long inode, long index, int count, Map<Long, Integer> gens) {
        ByteBuffer src = pages(inode, index, count, gens);
        long version = c.version(inode);
        for (int k = 0; k < count; k++) {
            long physical = inode << 40 | (index + k) << 16 | gens.getOrDefault(key(inode, index + k), 0);
            c.insert(inode, index + k, physical, 1, src, k * BS, version, c.physVersion(physical));
        }
    }

    private static long key(long inode, long index) {
        return inode << 32 | index;
    }

    @Test
    void aRunAcrossTheEndOfASlabIsCopiedWhole() {
        ReadCache c = new ReadCache(BS, 3L * SLAB_PAGES * BS);
        int count = SLAB_PAGES + 40;
        insert(c, 5, 100, count, Map.of());
        ByteBuffer out = ByteBuffer.allocate(count * BS);
        assertEquals(count * BS - 17, c.copyOut(5, 100, 17, out, count * BS));
        ByteBuffer expected = pages(5, 100, count, Map.of());
        assertEquals(expected.slice(17, count * BS - 17), out.flip());
    }

    @Test
    void aRunStopsAtAPageNotCachedAndSkipsToTheSlotOfTheNext() {
        ReadCache c = new ReadCache(BS, 3L * SLAB_PAGES * BS);
        insert(c, 5, 0, 10, Map.of());
        insert(c, 6, 0, 3, Map.of()); // slots 10..12: another file's
        insert(c, 5, 10, 5, Map.of()); // block 10 is in slot 13, not 10
        c.contentChanged(5, 12L * BS, 1); // block 12 goes
        ByteBuffer out = ByteBuffer.allocate(20 * BS);
        assertEquals(12 * BS - 1, c.copyOut(5, 0, 1, out, 20 * BS), "up to the page not cached");
        assertEquals(pages(5, 0, 12, Map.of()).slice(1, 12 * BS - 1), out.flip());
    }

    @Test
    void randomRunsGiveEachPagesCurrentBytes() {
        long seed = System.nanoTime();
        System.out.println("ReadCacheRunTest seed " + seed);
        SplittableRandom r = new SplittableRandom(seed);
        ReadCache c = new ReadCache(BS, (2L * SLAB_PAGES + 90) * BS); // two slabs and part of a third
        Map<Long, Integer> gens = new HashMap<>();
        for (int step = 0; step < 400; step++) {
            long inode = 1 + r.nextInt(2);
            long index = r.nextInt(700);
            int op = r.nextInt(10);
            if (op < 4) {
                int count = 1 + r.nextInt(300);
                insert(c, inode, index, count, gens);
            } else if (op < 5) {
                int count = 1 + r.nextInt(20);
                for (long b = index; b < index + count; b++) {
                    gens.merge(key(inode, b), 1, Integer::sum);
                }
                c.contentChanged(inode, index * BS, (long) count * BS);
                assertEquals(false, c.contains(inode, index + count - 1), "seed " + seed);
            } else {
                int from = r.nextInt(BS);
                int length = 1 + r.nextInt(400 * BS);
                long cached = 0;
                while (c.contains(inode, index + cached)) {
                    cached++;
                }
                int expect = (int) Math.max(0, Math.min(length, cached * BS - from));
                ByteBuffer out = ByteBuffer.allocate(length);
                assertEquals(expect, c.copyOut(inode, index, from, out, length),
                        "seed " + seed + ", step " + step + ": bytes copied");
                int pagesCopied = (from + expect + BS - 1) / BS;
                ByteBuffer want = pages(inode, index, Math.max(1, pagesCopied), gens).slice(from, expect);
                assertEquals(want, out.flip(), "seed " + seed + ", step " + step + ": content");
            }
        }
    }
}
