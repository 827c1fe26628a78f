package org.cowstack.storage.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.testkit.AllocationPolicyContract;
import org.cowstack.storage.testkit.TreeFreeSpace;
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
        TreeFreeSpace space = new TreeFreeSpace(100);
        Extent a = policy.allocate(space, AllocationRequest.of(10, 1, 70));
        assertEquals(new Extent(0, 10), a, "the hint is ignored");
        space.use(a);
        Extent b = policy.allocate(space, AllocationRequest.of(10, 1, -1));
        space.use(b);
        space.release(a);
        assertEquals(new Extent(20, 10), policy.allocate(space, AllocationRequest.of(10, 1, -1)),
                "freed space behind the cursor waits for the next lap");
        space.use(new Extent(20, 80));
        assertEquals(new Extent(0, 10), policy.allocate(space, AllocationRequest.of(10, 1, -1)), "wraps around");
    }
}
