package org.cowstack.storage.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.space.SpaceMap;
import org.cowstack.storage.testkit.AllocationPolicyContract;
import org.junit.jupiter.api.Test;

class FirstFitTest extends AllocationPolicyContract {
    private final FirstFit policy = new FirstFit();

    @Override
    protected AllocationPolicy policy() {
        return policy;
    }

    @Override
    protected String expectedName() {
        return "first-fit";
    }

    @Test
    void startsAtTheHintAndWrapsAround() throws Exception {
        SpaceMap space = freeSpace(100);
        assertEquals(new Extent(40, 10), policy.allocate(space, AllocationRequest.of(10, 10, 40)));
        space.take(40, 60);
        assertEquals(new Extent(0, 10), policy.allocate(space, AllocationRequest.of(10, 10, 40)));
    }
}
