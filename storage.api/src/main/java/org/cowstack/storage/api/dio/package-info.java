/**
 * Direct-I/O fallback strategies: how a direct write into a file is executed when the
 * caller's buffer may change while it is written (DESIGN problem P1).
 */
@Version("1.0.0")
@Export
package org.cowstack.storage.api.dio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
