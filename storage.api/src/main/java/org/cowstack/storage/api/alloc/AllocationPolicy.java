package org.cowstack.storage.api.alloc;

import org.cowstack.storage.api.NoSpaceException;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Chooses physical extents for new data: {@code first-fit}, {@code best-fit},
 * {@code next-fit} and whatever a bundle adds.
 *
 * <p>Registered with the {@value #NAME} service property. The engine calls
 * {@link #allocate} with its allocation lock held and marks the returned extent used
 * before the next call, so a policy never sees concurrent calls for one volume; it may
 * see concurrent calls for different volumes and must keep no per-volume state (the
 * view carries what a policy needs, such as the next-fit cursor).
 */
@ConsumerType
public interface AllocationPolicy {
    /** Service property: the policy name, a String such as {@code "first-fit"}. */
    String NAME = "storage.alloc.name";

    /** Lower-case name, as typed in {@code storage:alloc VOLUME NAME}. */
    String name();

    /**
     * Chooses one extent for {@code request}.
     *
     * @return an extent lying entirely inside one free extent of {@code free}, of length
     *         between {@link AllocationRequest#minLength()} and
     *         {@link AllocationRequest#length()}; the engine asks again for the rest
     * @throws NoSpaceException when no free extent of at least
     *         {@link AllocationRequest#minLength()} blocks exists
     */
    Extent allocate(FreeSpaceView free, AllocationRequest request) throws NoSpaceException;
}
