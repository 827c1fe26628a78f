package org.cowstack.storage.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.testkit.AllocationPolicyContract;
import org.cowstack.storage.testkit.TreeFreeSpace;
import org.junit.jupiter.api.Test;

class BestFitTest extends AllocationPolicyContract {
    private final BestFit policy = new BestFit();

    @Override
    protected AllocationPolicy policy() {
        return policy;
    }

    @Override
    protected String expectedName() {
        return "best-fit";
    }

    @Test
    void takesTheSmallestExtentThatHoldsTheRequestElseTheLargest() throws Exception {
        TreeFreeSpace space = new TreeFreeSpace(100);
        space.use(new Extent(10, 5)); // free: 0-10 (10), 15-100 (85)
        space.use(new Extent(30, 5)); // free: 0-10, 15-30 (15), 35-100 (65)
        assertEquals(new Extent(0, 8), policy.allocate(space, AllocationRequest.of(8, 8, 50)));
        assertEquals(new Extent(15, 12), policy.allocate(space, AllocationRequest.of(12, 1, -1)));
        assertEquals(new Extent(35, 65), policy.allocate(space, AllocationRequest.of(80, 1, -1)));
    }

    @Test
    void startsAtTheHintInsideTheChosenExtent() throws Exception {
        TreeFreeSpace space = new TreeFreeSpace(100);
        assertEquals(new Extent(40, 10), policy.allocate(space, AllocationRequest.of(10, 10, 40)));
    }
}
