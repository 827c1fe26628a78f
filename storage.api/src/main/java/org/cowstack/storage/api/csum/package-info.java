/**
 * Checksum algorithms: a {@link org.cowstack.storage.api.csum.ChecksumAlgorithm}
 * service per algorithm, selected by its stable on-disk id. An algorithm declares its
 * name, id and digest length once, in
 * {@link org.cowstack.storage.api.csum.ChecksumAlgorithmService}.
 *
 * <p>1.1: {@code ChecksumAlgorithmService} is retained at run time;
 * {@code ChecksumAlgorithm.name()}, {@code id()} and {@code digestLength()} are default
 * methods reading it.
 */
@Version("1.1.0")
@Export
package org.cowstack.storage.api.csum;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
