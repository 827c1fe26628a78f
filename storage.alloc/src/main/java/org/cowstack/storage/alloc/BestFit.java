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
 * The smallest free extent that holds the whole request, nearest the hint among equals;
 * when none does, the largest one (at least the smallest acceptable piece), so a
 * request is split into as few pieces as possible. Keeps large free extents whole for
 * large requests, at the price of a scan of every free extent per allocation.
 */
@Component(service = AllocationPolicy.class)
@AllocationPolicyService(name = "best-fit")
public final class BestFit implements AllocationPolicy {
    @Override
    public Extent allocate(FreeSpaceView free, AllocationRequest request) throws NoSpaceException {
        Extent best = null;
        Extent largest = null;
        long hint = Math.max(0, request.hint());
        for (Iterator<Extent> it = free.freeExtents(0); it.hasNext(); ) {
            Extent e = it.next();
            if (e.length() >= request.length()) {
                if (best == null || e.length() < best.length()
                        || (e.length() == best.length() && distance(e, hint) < distance(best, hint))) {
                    best = e;
                }
            } else if (e.length() >= request.minLength() && (largest == null || e.length() > largest.length())) {
                largest = e;
            }
        }
        if (best != null) {
            return new Extent(start(best, hint, request.length()), request.length());
        }
        if (largest != null) {
            return largest;
        }
        throw new NoSpaceException(free.volume(), request.minLength() * free.blockSize(),
                "no free extent of " + request.minLength() + " blocks (the largest has " + free.largestFree() + ")");
    }

    private static long distance(Extent e, long hint) {
        return hint < e.start() ? e.start() - hint : hint >= e.end() ? hint - e.end() + 1 : 0;
    }

    /** Inside the chosen extent, at the hint when the request fits from there (a file grows in place). */
    private static long start(Extent e, long hint, long length) {
        return hint >= e.start() && hint + length <= e.end() ? hint : e.start();
    }
}
