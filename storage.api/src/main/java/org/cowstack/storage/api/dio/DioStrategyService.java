package org.cowstack.storage.api.dio;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for {@link DioStrategy} components: sets the
 * {@value DioStrategy#NAME} service property consumers select a strategy by, and is
 * where {@link DioStrategy#name()} reads the name from. The name is declared here
 * and nowhere else.
 *
 * <pre>
 * &#64;Component(service = DioStrategy.class)
 * &#64;DioStrategyService(name = "bounce")
 * public final class Bounce implements DioStrategy { ... }
 * </pre>
 *
 * <p>Retained at run time so that {@link DioStrategy#name()} can read it from the
 * implementing class.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface DioStrategyService {
    /** Prefix that maps {@code name} to {@value DioStrategy#NAME}. */
    String PREFIX_ = "storage.dio.";

    /** {@link DioStrategy#name()}: lower case, as typed in {@code storage:dio VOLUME NAME}. */
    String name();
}
