/**
 * Allocation policies: where a volume places new extents. A policy sees the volume's
 * free space through {@link org.cowstack.storage.api.alloc.FreeSpaceView} and keeps no
 * state of its own, so replacing it never loses anything. A policy declares its name
 * once, in {@link org.cowstack.storage.api.alloc.AllocationPolicyService}.
 *
 * <p>1.1: {@code AllocationPolicyService}; {@code AllocationPolicy.name()} is a default
 * method reading it.
 */
@Version("1.1.0")
@Export
package org.cowstack.storage.api.alloc;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
