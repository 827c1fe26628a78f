package org.cowstack.storage.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationPolicyService;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.space.SpaceMap;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link AllocationPolicy} passes, against the engine's own
 * free-space map ({@link SpaceMap}): the view a policy is given in a mounted volume,
 * which checks every answer as the engine does.
 */
public abstract class AllocationPolicyContract {

    protected abstract AllocationPolicy policy();

    protected abstract String expectedName();

    /** The free-space map of a fresh volume of {@code totalBlocks} 4 KiB blocks, every block free. */
    protected static SpaceMap freeSpace(long totalBlocks) {
        SpaceMap space = new SpaceMap("test", 4096, totalBlocks, 0);
        space.addFree(0, totalBlocks);
        return space;
    }

    /**
     * Asks the policy as the engine does, through the map: it fails with an
     * {@link IllegalStateException} naming the policy when the answer is not free space
     * or not within the requested lengths, marks the extent used and moves the cursor
     * past it.
     */
    protected final Extent allocate(SpaceMap space, AllocationRequest request)
            throws NoSpaceException, InvalidArgumentException {
        return space.allocate(policy(), request.length(), request.minLength(), request.hint(), false);
    }

    @Test
    void name() {
        assertEquals(expectedName(), policy().name());
    }

    @Test
    void nameIsDeclaredOnceByItsAllocationPolicyService() {
        Class<?> type = policy().getClass();
        AllocationPolicyService service = type.getAnnotation(AllocationPolicyService.class);
        assertNotNull(service, type.getName() + " is annotated with @AllocationPolicyService, which sets the "
                + AllocationPolicy.NAME + " service property consumers select it by");
        String name = policy().name();
        assertEquals(service.name(), name, "name() is the " + AllocationPolicy.NAME + " service property");
        assertFalse(name.isBlank(), "a name to type in storage:alloc");
        assertEquals(name.toLowerCase(Locale.ROOT), name, "a lower-case name");
    }

    @Test
    void returnsOnlyFreeBlocksWithinTheRequestedLengths() throws Exception {
        Random r = new Random(Seeds.seed(getClass().getSimpleName() + ".churn"));
        SpaceMap space = freeSpace(10_000);
        List<Extent> used = new ArrayList<>();
        for (int op = 0; op < 5000; op++) {
            if (!used.isEmpty() && r.nextInt(3) == 0) {
                Extent freed = used.remove(r.nextInt(used.size()));
                space.giveBack(freed.start(), freed.length());
                continue;
            }
            long length = 1 + r.nextInt(64);
            long min = 1 + r.nextInt((int) length);
            long hint = r.nextBoolean() ? -1 : r.nextInt(10_000);
            AllocationRequest request = AllocationRequest.of(length, min, hint);
            long freeBefore = space.freeBlocks();
            Extent e;
            try {
                e = allocate(space, request); // fails if any block of it was not free
            } catch (NoSpaceException full) {
                assertTrue(space.largestFree() < min, "no-space only when no free extent of " + min + " exists");
                continue;
            }
            assertTrue(e.length() >= min && e.length() <= length, e + " for " + request);
            assertEquals(freeBefore - e.length(), space.freeBlocks(), e + " for " + request + " was all free");
            used.add(e);
        }
        assertEquals(10_000, space.freeBlocks() + used.stream().mapToLong(Extent::length).sum(),
                "every block is either free or in exactly one extent handed out");
    }

    @Test
    void honoursContiguityWhenSpaceAllows() throws Exception {
        SpaceMap space = freeSpace(1000);
        // Fragment the start: every other block used over the first 200 blocks.
        for (long b = 0; b < 200; b += 2) {
            space.take(b, 1);
        }
        Extent e = policy().allocate(space, AllocationRequest.of(100, 100, -1));
        assertEquals(100, e.length(), "one extent of the whole request");
        space.take(e.start(), e.length()); // fails if any block of it was not free
    }

    @Test
    void fillsTheVolumeExactlyAndThenRefuses() throws Exception {
        SpaceMap space = freeSpace(777);
        long allocated = 0;
        while (space.freeBlocks() > 0) {
            Extent e = allocate(space, AllocationRequest.of(50, 1, -1));
            allocated += e.length();
        }
        assertEquals(777, allocated);
        NoSpaceException e = assertThrows(NoSpaceException.class,
                () -> policy().allocate(space, AllocationRequest.of(1, 1, -1)));
        assertFalse(e.getMessage().isBlank());
    }
}
