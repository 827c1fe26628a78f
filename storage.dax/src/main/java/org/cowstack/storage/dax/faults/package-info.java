/**
 * Fault control of {@code dax:} devices: poisoning a range of the medium as persistent
 * memory's uncorrectable errors do, for tests and drills of a volume's answer to media
 * errors (cast the {@link org.cowstack.storage.api.device.BlockDevice} opened with a
 * {@code dax:} URI to {@link org.cowstack.storage.dax.faults.Poisoning}).
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.dax.faults;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
