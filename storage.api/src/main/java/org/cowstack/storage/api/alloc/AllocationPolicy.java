package org.cowstack.storage.api.alloc;

import org.cowstack.storage.api.NoSpaceException;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Chooses physical extents for new data: {@code first-fit}, {@code best-fit},
 * {@code next-fit} and whatever a bundle adds.
 *
 * <p>An implementation is a component annotated with {@link AllocationPolicyService},
 * which declares its name once: the annotation sets the {@value #NAME} service property
 * consumers select it by, and {@link #name()} reads the same annotation. The engine
 * calls {@link #allocate} with its allocation lock held and marks the returned extent
 * used before the next call, so a policy never sees concurrent calls for one volume; it
 * may see concurrent calls for different volumes and must keep no per-volume state (the
 * view carries what a policy needs, such as the next-fit cursor).
 */
@ConsumerType
public interface AllocationPolicy {
    /** Service property: the policy name, a String such as {@code "first-fit"}. */
    String NAME = "storage.alloc.name";

    /**
     * Lower-case name, as typed in {@code storage:alloc VOLUME NAME}: by default the
     * {@link AllocationPolicyService#name()} of the implementing class. A reflective
     * lookup (cheap, and cached by the JDK, but not a field read): callers that need it
     * often read it once.
     *
     * @throws IllegalStateException when the implementing class has no
     *         {@link AllocationPolicyService} annotation and does not override this method
     */
    default String name() {
        AllocationPolicyService service = getClass().getAnnotation(AllocationPolicyService.class);
        if (service == null) {
            throw new IllegalStateException(getClass().getName() + " implements AllocationPolicy without an"
                    + " @AllocationPolicyService annotation, so it has no name: annotate the class or override name()");
        }
        return service.name();
    }

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
