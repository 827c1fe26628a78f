package org.cowstack.storage.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.alloc.FreeSpaceView;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.junit.jupiter.api.Test;

class SpaceMapTest {
    /**
     * The lowest free extent that holds the smallest acceptable piece, from the hint on:
     * enough to drive the map (the real policies live in storage.alloc, which depends on
     * this module's contract suite, not the other way round).
     */
    private final AllocationPolicy firstFit = new AllocationPolicy() {
        @Override
        public String name() {
            return "lowest";
        }

        @Override
        public Extent allocate(FreeSpaceView free, AllocationRequest request) throws NoSpaceException {
            for (java.util.Iterator<Extent> it = free.freeExtents(Math.max(0, request.hint())); it.hasNext(); ) {
                Extent e = it.next();
                if (e.length() >= request.minLength()) {
                    return new Extent(e.start(), Math.min(e.length(), request.length()));
                }
            }
            throw new NoSpaceException(free.volume(), request.minLength() * free.blockSize(), "none fits");
        }
    };

    @Test
    void blocksFreedByTheRunningTransactionAreNotReusedUntilReleased() throws Exception {
        SpaceMap space = new SpaceMap("t", 4096, 1000, 0);
        space.addFree(100, 900);
        Extent a = space.allocate(firstFit, 100, 100, -1, false);
        assertEquals(new Extent(100, 100), a);
        space.freeLater(100, 100);
        assertEquals(100, space.pendingBlocks());
        // Every further allocation avoids the pending blocks, even when they are the lowest.
        for (int i = 0; i < 8; i++) {
            Extent e = space.allocate(firstFit, 100, 100, 0, false);
            assertTrue(e.start() >= 200, "pending blocks handed out: " + e);
        }
        assertThrows(NoSpaceException.class, () -> space.allocate(firstFit, 1, 1, 0, false));
        List<long[]> frees = space.takePending();
        assertEquals(0, space.pendingBlocks());
        space.release(frees);
        assertEquals(new Extent(100, 100), space.allocate(firstFit, 100, 100, 0, false));
    }

    @Test
    void reservationsKeepTheMetadataReserveForCommits() throws Exception {
        SpaceMap space = new SpaceMap("t", 4096, 1100, 64);
        space.addFree(100, 1000);
        assertEquals(1000 - 64, space.availableBlocks());
        assertTrue(space.reserve(900));
        assertFalse(space.reserve(100), "past the metadata reserve");
        Extent data = space.allocate(firstFit, 900, 1, -1, true);
        assertEquals(900, data.length());
        assertEquals(0, space.reservedBlocks(), "the allocation consumed the promise");
        // Metadata may use the reserve.
        assertEquals(64, space.allocate(firstFit, 64, 64, -1, false).length());
    }

    @Test
    void aPolicyAnswerThatIsNotFreeSpaceIsRefused() {
        SpaceMap space = new SpaceMap("t", 4096, 1000, 0);
        space.addFree(500, 100);
        AllocationPolicy liar = new AllocationPolicy() {
            @Override
            public String name() {
                return "liar";
            }

            @Override
            public Extent allocate(FreeSpaceView free, AllocationRequest request) {
                return new Extent(10, request.length());
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> space.allocate(liar, 5, 5, -1, false));
        assertTrue(e.getMessage().contains("liar"), e.getMessage());
        assertEquals(100, space.freeBlocks(), "nothing was taken");
    }

    @Test
    void freeingTwiceIsCaught() {
        SpaceMap space = new SpaceMap("t", 4096, 1000, 0);
        space.addFree(100, 100);
        assertThrows(IllegalStateException.class, () -> space.release(List.<long[]>of(new long[] {150, 10})));
    }

    @Test
    void theLargestFreeExtentIsKnownWithoutAScanThroughAllocationsFreesAndMerges() throws Exception {
        long seed = Long.getLong("storage.test.seed", new java.util.SplittableRandom().nextLong());
        System.out.println("seed SpaceMapTest = " + seed + " (replay with -Dstorage.test.seed=" + seed + ")");
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        SpaceMap space = new SpaceMap("t", 4096, 100_000, 0);
        space.addFree(0, 100_000);
        List<Extent> used = new java.util.ArrayList<>();
        for (int op = 0; op < 20_000; op++) {
            if (used.isEmpty() || random.nextInt(3) > 0) {
                long length = 1 + random.nextInt(random.nextBoolean() ? 8 : 600);
                try {
                    used.add(space.allocateRun(firstFit, length, random.nextLong(100_000), false));
                } catch (NoSpaceException full) {
                    // freed below
                }
            } else {
                Extent e = used.remove(random.nextInt(used.size()));
                if (random.nextBoolean()) {
                    space.giveBack(e.start(), e.length());
                } else {
                    space.freeLater(e.start(), e.length());
                    space.release(space.takePending());
                }
            }
            Extent largest = null;
            for (var e : space.snapshot().entrySet()) {
                if (largest == null || e.getValue() > largest.length()) {
                    largest = new Extent(e.getKey(), e.getValue());
                }
            }
            assertEquals(largest == null ? 0 : largest.length(), space.largestFree(),
                    "after operation " + op + " (seed " + seed + ")");
            assertEquals(largest, space.largestFreeExtent(), "the lowest of the largest, after operation " + op
                    + " (seed " + seed + ")");
        }
    }
}
