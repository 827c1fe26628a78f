package org.cowstack.storage.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.space.SpaceMap;
import org.cowstack.storage.testkit.AllocationPolicyContract;
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
        SpaceMap space = freeSpace(100);
        space.take(10, 5); // free: 0-10 (10), 15-100 (85)
        space.take(30, 5); // free: 0-10, 15-30 (15), 35-100 (65)
        assertEquals(new Extent(0, 8), policy.allocate(space, AllocationRequest.of(8, 8, 50)));
        assertEquals(new Extent(15, 12), policy.allocate(space, AllocationRequest.of(12, 1, -1)));
        assertEquals(new Extent(35, 65), policy.allocate(space, AllocationRequest.of(80, 1, -1)));
    }

    @Test
    void startsAtTheHintInsideTheChosenExtent() throws Exception {
        SpaceMap space = freeSpace(100);
        assertEquals(new Extent(40, 10), policy.allocate(space, AllocationRequest.of(10, 10, 40)));
    }
}
