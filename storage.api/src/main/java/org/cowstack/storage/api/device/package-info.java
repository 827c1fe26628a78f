/**
 * Device backends: a {@link org.cowstack.storage.api.device.DeviceProvider} per URI
 * scheme opens {@link org.cowstack.storage.api.device.BlockDevice}s.
 *
 * <p>Backends are plug-ins: a bundle that registers a {@code DeviceProvider} service
 * with the {@value org.cowstack.storage.api.device.DeviceProvider#SCHEME} property (a
 * component annotated with {@link org.cowstack.storage.api.device.DeviceProviderService})
 * makes its scheme usable by every volume at once.
 *
 * <p>1.1: {@code DeviceProviderService} is retained at run time;
 * {@code DeviceProvider.scheme()} is a default method reading it.
 */
@Version("1.3.0")
@Export
package org.cowstack.storage.api.device;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
