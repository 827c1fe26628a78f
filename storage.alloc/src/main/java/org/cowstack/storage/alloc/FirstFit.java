package org.cowstack.storage.alloc;

import java.util.Iterator;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationPolicyService;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.alloc.FreeSpaceView;
import org.osgi.service.component.annotations.Component;

/**
 * The first free extent, from the hint on, that holds at least the smallest acceptable
 * piece; wraps around to the start of the volume once. Takes as much of the request
 * as that extent holds. Cheap, keeps files near their hint, and fragments free space
 * at the start of the volume over time (best-fit and next-fit trade that differently).
 */
@Component(service = AllocationPolicy.class)
@AllocationPolicyService(name = "first-fit")
public final class FirstFit implements AllocationPolicy {
    @Override
    public Extent allocate(FreeSpaceView free, AllocationRequest request) throws NoSpaceException {
        long from = Math.max(0, request.hint());
        Extent found = firstFitting(free.freeExtents(from), request, Long.MAX_VALUE);
        if (found == null && from > 0) {
            found = firstFitting(free.freeExtents(0), request, from);
        }
        if (found == null) {
            throw new NoSpaceException(free.volume(), request.minLength() * free.blockSize(),
                    "no free extent of " + request.minLength() + " blocks (the largest has " + free.largestFree() + ")");
        }
        return found;
    }

    private static Extent firstFitting(Iterator<Extent> extents, AllocationRequest request, long before) {
        while (extents.hasNext()) {
            Extent e = extents.next();
            if (e.start() >= before) {
                return null;
            }
            // The hint may fall inside a free extent: start there, not at its beginning.
            long start = Math.max(e.start(), Math.min(request.hint(), e.end()));
            long available = e.end() - start;
            if (available < request.minLength()) {
                start = e.start();
                available = e.length();
            }
            if (available >= request.minLength()) {
                return new Extent(start, Math.min(available, request.length()));
            }
        }
        return null;
    }
}
