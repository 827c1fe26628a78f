package org.cowstack.storage.api.dio;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides how one direct write is executed; the engine executes the decision.
 *
 * <p>Registered with the {@value #NAME} service property. Called for every direct
 * write, concurrently, without locks held: decide from the facts in
 * {@link DirectWrite} only, quickly, keeping no state.
 */
@ConsumerType
public interface DioStrategy {
    /** Service property: the strategy name, a String such as {@code "verify"}. */
    String NAME = "storage.dio.name";

    /** Lower-case name, as typed in {@code storage:dio VOLUME NAME}. */
    String name();

    /** The execution mode for {@code write}. */
    DioMode choose(DirectWrite write);
}
