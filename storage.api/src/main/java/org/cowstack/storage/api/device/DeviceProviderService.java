package org.cowstack.storage.api.device;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for {@link DeviceProvider} components: sets the
 * {@value DeviceProvider#SCHEME} service property consumers select a provider for a
 * device URI by, and is where {@link DeviceProvider#scheme()} reads the
 * scheme from. The scheme is declared here and nowhere else.
 *
 * <pre>
 * &#64;Component(service = DeviceProvider.class)
 * &#64;DeviceProviderService(scheme = "mem")
 * public final class MemDeviceProvider implements DeviceProvider { ... }
 * </pre>
 *
 * <p>Retained at run time so that {@link DeviceProvider#scheme()} can read it from the
 * implementing class.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface DeviceProviderService {
    /** Prefix that turns {@code scheme} into {@value DeviceProvider#SCHEME}. */
    String PREFIX_ = "storage.device.";

    /** {@link DeviceProvider#scheme()}: the URI scheme served, lower case, without the colon. */
    String scheme();
}
