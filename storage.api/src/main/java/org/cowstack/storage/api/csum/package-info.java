/**
 * Checksum algorithms: a {@link org.cowstack.storage.api.csum.ChecksumAlgorithm}
 * service per algorithm, selected by its stable on-disk id.
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.api.csum;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
