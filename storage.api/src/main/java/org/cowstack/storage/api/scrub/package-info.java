/**
 * Scrub and health of a volume: a background job that reads every allocated block,
 * verifies it and rewrites bad copies from good ones, its status and report (each
 * damaged range with its owners), and the volume's device error counters.
 * A consistency check of one commit ({@link org.cowstack.storage.api.scrub.CheckReport}).
 * Reached through {@link org.cowstack.storage.api.volume.Volume#scrub()},
 * {@link org.cowstack.storage.api.volume.Volume#check()} and
 * {@link org.cowstack.storage.api.volume.Volume#health()}.
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.api.scrub;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
