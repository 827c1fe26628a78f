package org.cowstack.storage.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.junit.jupiter.api.Test;

/** The contract every {@link AllocationPolicy} passes, against a {@link TreeFreeSpace}. */
public abstract class AllocationPolicyContract {

    protected abstract AllocationPolicy policy();

    protected abstract String expectedName();

    @Test
    void name() {
        assertEquals(expectedName(), policy().name());
    }

    @Test
    void returnsOnlyFreeBlocksWithinTheRequestedLengths() throws Exception {
        Random r = new Random(Seeds.seed(getClass().getSimpleName() + ".churn"));
        TreeFreeSpace space = new TreeFreeSpace(10_000);
        List<Extent> used = new ArrayList<>();
        for (int op = 0; op < 5000; op++) {
            if (!used.isEmpty() && r.nextInt(3) == 0) {
                space.release(used.remove(r.nextInt(used.size())));
                continue;
            }
            long length = 1 + r.nextInt(64);
            long min = 1 + r.nextInt((int) length);
            long hint = r.nextBoolean() ? -1 : r.nextInt(10_000);
            AllocationRequest request = AllocationRequest.of(length, min, hint);
            Extent e;
            try {
                e = policy().allocate(space, request);
            } catch (NoSpaceException full) {
                assertTrue(space.largestFree() < min, "no-space only when no free extent of " + min + " exists");
                continue;
            }
            assertTrue(e.length() >= min && e.length() <= length, e + " for " + request);
            space.use(e); // fails if any block of it was not free
            used.add(e);
        }
    }

    @Test
    void honoursContiguityWhenSpaceAllows() throws Exception {
        TreeFreeSpace space = new TreeFreeSpace(1000);
        // Fragment the start: every other block used over the first 200 blocks.
        for (long b = 0; b < 200; b += 2) {
            space.use(new Extent(b, 1));
        }
        Extent e = policy().allocate(space, AllocationRequest.of(100, 100, -1));
        assertEquals(100, e.length(), "one extent of the whole request");
        space.use(e);
    }

    @Test
    void fillsTheVolumeExactlyAndThenRefuses() throws Exception {
        TreeFreeSpace space = new TreeFreeSpace(777);
        long allocated = 0;
        while (space.freeBlocks() > 0) {
            Extent e = policy().allocate(space, AllocationRequest.of(50, 1, -1));
            space.use(e);
            allocated += e.length();
        }
        assertEquals(777, allocated);
        NoSpaceException e = assertThrows(NoSpaceException.class,
                () -> policy().allocate(space, AllocationRequest.of(1, 1, -1)));
        assertFalse(e.getMessage().isBlank());
    }
}
