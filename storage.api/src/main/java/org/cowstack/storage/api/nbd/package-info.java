/**
 * NBD exports of volume files: what the NBD bundle offers the shell and other bundles.
 * Exports are factory configurations, so they survive restarts as mounts do.
 */
@Version("1.1.0")
@Export
package org.cowstack.storage.api.nbd;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
