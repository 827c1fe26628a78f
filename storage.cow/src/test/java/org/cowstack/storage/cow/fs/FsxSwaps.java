package org.cowstack.storage.cow.fs;

import java.io.IOException;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.cow.bind.ServiceSwap;
import org.cowstack.storage.cow.bind.VolumeBindings;

/**
 * The fsx policy swaps, as OSGi makes them (see {@link HotSwapTest}): the bound checksum
 * algorithm, allocation policy or DIO strategy goes away and a new instance of it takes its
 * place, at once or after the volume waited for it; or the allocation policy changes by
 * name. A departing service is committed with: every file is durable after it.
 */
final class FsxSwaps {
    private FsxSwaps() {
    }

    static void swap(Fsx fsx, FsxOp op) throws IOException {
        CowVolume v = fsx.volume();
        VolumeBindings bindings = v.core.bindings;
        ServiceSwap swap = v.swap();
        boolean suspend = (op.arg() & 4) != 0;
        String how = suspend ? " (gone, then a new one arrives)" : " (replaced)";
        boolean swapped;
        switch (op.arg() % 3) {
            case 0 -> {
                ChecksumAlgorithm gone = bindings.checksum();
                ChecksumAlgorithm next = fresh(gone);
                fsx.describe("swap checksum " + gone.name() + how);
                swapped = suspend ? swap.checksumGone(gone, null) && swap.checksumArrived(gone.id(), next)
                        : swap.checksumGone(gone, next);
            }
            case 1 -> {
                if ((op.arg() & 8) != 0) {
                    String name = Volumes.ALLOCATION_POLICIES.get((op.arg() >> 4) % 3);
                    fsx.describe("allocation policy " + name);
                    v.allocationPolicy(name);
                    return;
                }
                AllocationPolicy gone = bindings.policy();
                AllocationPolicy next = fresh(gone);
                fsx.describe("swap allocation policy " + bindings.policyName() + how);
                swapped = suspend ? swap.policyGone(gone, null) && swap.policyArrived(bindings.policyName(), next)
                        : swap.policyGone(gone, next);
            }
            default -> {
                DioStrategy gone = bindings.strategy();
                DioStrategy next = fresh(gone);
                fsx.describe("swap DIO strategy " + bindings.strategyName() + how);
                swapped = suspend ? swap.strategyGone(gone, null) && swap.strategyArrived(bindings.strategyName(), next)
                        : swap.strategyGone(gone, next);
            }
        }
        fsx.expect(swapped, "the swap did not happen");
        fsx.model().allDurable();
    }

    @SuppressWarnings("unchecked")
    private static <T> T fresh(T service) {
        try {
            return (T) service.getClass().getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
