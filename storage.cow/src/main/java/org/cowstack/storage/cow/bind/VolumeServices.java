package org.cowstack.storage.cow.bind;

import java.util.Collection;
import java.util.List;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.dio.DioStrategy;

/**
 * The services installed now, by name or id: where a volume finds its algorithm, policy
 * and strategy at mount and when a setter names another (after that it keeps them bound,
 * see {@link VolumeBindings}). The OSGi component answers from its dynamic references;
 * tests answer from plain objects.
 */
public interface VolumeServices {
    /** The installed checksum algorithms. */
    Collection<ChecksumAlgorithm> checksums();

    /** The installed algorithm with this on-disk id, or null. */
    default ChecksumAlgorithm checksum(int id) {
        return checksums().stream().filter(a -> a.id() == id).findFirst().orElse(null);
    }

    /** The installed algorithm with this name, or null. */
    default ChecksumAlgorithm checksum(String name) {
        return checksums().stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
    }

    /** The installed allocation policy with this name, or null. */
    AllocationPolicy allocationPolicy(String name);

    /** The installed DIO fallback strategy with this name, or null. */
    DioStrategy dioStrategy(String name);

    /** Fixed services, for a volume outside OSGi: tests, benchmarks, tools. */
    static VolumeServices of(Collection<? extends ChecksumAlgorithm> checksums,
            Collection<? extends AllocationPolicy> policies, Collection<? extends DioStrategy> strategies) {
        List<ChecksumAlgorithm> algorithms = List.copyOf(checksums);
        List<AllocationPolicy> allocators = List.copyOf(policies);
        List<DioStrategy> dio = List.copyOf(strategies);
        return new VolumeServices() {
            @Override
            public Collection<ChecksumAlgorithm> checksums() {
                return algorithms;
            }

            @Override
            public AllocationPolicy allocationPolicy(String name) {
                return allocators.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
            }

            @Override
            public DioStrategy dioStrategy(String name) {
                return dio.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
            }
        };
    }
}
