package org.cowstack.storage.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.space.SpaceMap;
import org.cowstack.storage.testkit.AllocationPolicyContract;
import org.junit.jupiter.api.Test;

class NextFitTest extends AllocationPolicyContract {
    private final NextFit policy = new NextFit();

    @Override
    protected AllocationPolicy policy() {
        return policy;
    }

    @Override
    protected String expectedName() {
        return "next-fit";
    }

    @Test
    void continuesAfterThePreviousAllocationAndReusesFreedSpaceOnlyAfterALap() throws Exception {
        SpaceMap space = freeSpace(100);
        // Allocated through the map, as the engine does: it moves the cursor past each extent.
        Extent a = allocate(space, AllocationRequest.of(10, 1, 70));
        assertEquals(new Extent(0, 10), a, "the hint is ignored");
        assertEquals(new Extent(10, 10), allocate(space, AllocationRequest.of(10, 1, -1)));
        space.giveBack(a.start(), a.length());
        assertEquals(new Extent(20, 10), policy.allocate(space, AllocationRequest.of(10, 1, -1)),
                "freed space behind the cursor waits for the next lap");
        assertEquals(new Extent(20, 80), allocate(space, AllocationRequest.of(80, 80, -1)));
        assertEquals(100, space.cursor());
        assertEquals(new Extent(0, 10), policy.allocate(space, AllocationRequest.of(10, 1, -1)), "wraps around");
    }
}
