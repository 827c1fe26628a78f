/**
 * Allocation policies: where a volume places new extents. A policy sees the volume's
 * free space through {@link org.cowstack.storage.api.alloc.FreeSpaceView} and keeps no
 * state of its own, so replacing it never loses anything.
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.api.alloc;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
