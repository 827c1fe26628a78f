/**
 * Fault injection for the {@code faulty:} device backend: the reliability test bench.
 * A device opened as {@code faulty:INNER-URI} (for example {@code faulty:mem:disk1})
 * passes everything to the inner device and implements {@link
 * org.cowstack.storage.device.faulty.FaultControl}, through which a test makes it fail.
 */
@Version("1.2.0")
@Export
package org.cowstack.storage.device.faulty;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
