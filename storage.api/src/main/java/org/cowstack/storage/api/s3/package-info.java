/**
 * S3 stores that {@code s3:NAME[/VOLUME]} devices live on: what the S3 bundle offers the
 * shell and other bundles. Stores are factory configurations
 * ({@value org.cowstack.storage.api.s3.S3Stores#FACTORY_PID}), so they survive restarts as
 * mounts do; their credentials never leave the configuration.
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.api.s3;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
