package org.cowstack.storage.api.device;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for {@link DeviceProvider} components:
 * {@code @DeviceProviderService(scheme = "file")} sets the
 * {@value DeviceProvider#SCHEME} service property.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface DeviceProviderService {
    /** Prefix that turns {@code scheme} into {@value DeviceProvider#SCHEME}. */
    String PREFIX_ = "storage.device.";

    /** The URI scheme served. */
    String scheme();
}
