/**
 * Volumes and files: what the copy-on-write engine offers its users.
 *
 * <p>{@link org.cowstack.storage.api.volume.VolumeManager} formats and mounts;
 * every mounted {@link org.cowstack.storage.api.volume.Volume} is also a service of its
 * own, so other bundles (an NBD export, a web console) find it by name. Paths are
 * absolute, {@code /}-separated, without {@code .} or {@code ..} components.
 */
@Version("1.8.0")
@Export
package org.cowstack.storage.api.volume;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
