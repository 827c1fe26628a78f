package org.cowstack.storage.api.dio;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides how one direct write is executed; the engine executes the decision.
 *
 * <p>An implementation is a component annotated with {@link DioStrategyService}, which
 * declares its name once: the annotation sets the {@value #NAME} service property
 * consumers select it by, and {@link #name()} reads the same annotation.
 *
 * <p>{@link #choose} is called for every direct write, concurrently, without locks
 * held: decide from the facts in {@link DirectWrite} only, quickly, keeping no state,
 * so that the same facts always give the same answer. Answer {@link DioMode#BUFFERED}
 * for a write that is not {@link DirectWrite#aligned() aligned}: only whole blocks can
 * bypass the cache, and the engine executes such a write as {@code BUFFERED} whatever
 * the answer (and a null answer too). {@link DirectWrite#shared()} costs lookups: ask
 * it at most once per call, and only when the answer depends on it.
 */
@ConsumerType
public interface DioStrategy {
    /** Service property: the strategy name, a String such as {@code "verify"}. */
    String NAME = "storage.dio.name";

    /**
     * Lower-case name, as typed in {@code storage:dio VOLUME NAME}: by default the
     * {@link DioStrategyService#name()} of the implementing class. A reflective lookup
     * (cheap, and cached by the JDK, but not a field read): callers that need it often
     * read it once.
     *
     * @throws IllegalStateException when the implementing class has no
     *         {@link DioStrategyService} annotation and does not override this method
     */
    default String name() {
        DioStrategyService service = getClass().getAnnotation(DioStrategyService.class);
        if (service == null) {
            throw new IllegalStateException(getClass().getName() + " implements DioStrategy without a"
                    + " @DioStrategyService annotation, so it has no name: annotate the class or override name()");
        }
        return service.name();
    }

    /**
     * The execution mode for {@code write}, never null; {@link DioMode#BUFFERED} when
     * the write is not aligned.
     */
    DioMode choose(DirectWrite write);
}
