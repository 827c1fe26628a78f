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
 * Log-structured: the first free extent holding the smallest acceptable piece from where
 * the previous allocation ended (the view's cursor), wrapping around to the start once.
 * The hint is ignored: every write, data or metadata, lands after the last one, so
 * writes stay sequential on the device and space is reused only after a full lap.
 */
@Component(service = AllocationPolicy.class)
@AllocationPolicyService(name = "next-fit")
public final class NextFit implements AllocationPolicy {
    @Override
    public Extent allocate(FreeSpaceView free, AllocationRequest request) throws NoSpaceException {
        long cursor = Math.max(0, free.cursor());
        Extent found = firstFrom(free.freeExtents(cursor), cursor, Long.MAX_VALUE, request);
        if (found == null && cursor > 0) {
            found = firstFrom(free.freeExtents(0), 0, cursor, request);
        }
        if (found == null) {
            throw new NoSpaceException(free.volume(), request.minLength() * free.blockSize(),
                    "no free extent of " + request.minLength() + " blocks (the largest has " + free.largestFree() + ")");
        }
        return found;
    }

    private static Extent firstFrom(Iterator<Extent> extents, long from, long before, AllocationRequest request) {
        while (extents.hasNext()) {
            Extent e = extents.next();
            if (e.start() >= before) {
                return null;
            }
            // The cursor may fall inside a free extent: continue the log from there.
            long start = Math.max(e.start(), Math.min(from, e.end()));
            if (e.end() - start >= request.minLength()) {
                return new Extent(start, Math.min(e.end() - start, request.length()));
            }
            if (e.length() >= request.minLength()) {
                return new Extent(e.start(), Math.min(e.length(), request.length()));
            }
        }
        return null;
    }
}
