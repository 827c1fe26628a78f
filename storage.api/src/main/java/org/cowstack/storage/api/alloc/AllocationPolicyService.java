package org.cowstack.storage.api.alloc;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for {@link AllocationPolicy} components: sets the
 * {@value AllocationPolicy#NAME} service property consumers select a policy by, and
 * is where {@link AllocationPolicy#name()} reads the name from. The name is
 * declared here and nowhere else.
 *
 * <pre>
 * &#64;Component(service = AllocationPolicy.class)
 * &#64;AllocationPolicyService(name = "first-fit")
 * public final class FirstFit implements AllocationPolicy { ... }
 * </pre>
 *
 * <p>Retained at run time so that {@link AllocationPolicy#name()} can read it from the
 * implementing class.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface AllocationPolicyService {
    /** Prefix that maps {@code name} to {@value AllocationPolicy#NAME}. */
    String PREFIX_ = "storage.alloc.";

    /** {@link AllocationPolicy#name()}: lower case, as typed in {@code storage:alloc VOLUME NAME}. */
    String name();
}
