/**
 * Direct-I/O fallback strategies: how a direct write into a file is executed when the
 * caller's buffer may change while it is written (DESIGN problem P1). A strategy
 * declares its name once, in {@link org.cowstack.storage.api.dio.DioStrategyService}.
 *
 * <p>1.1: {@code DioStrategyService}; {@code DioStrategy.name()} is a default method
 * reading it.
 */
@Version("1.1.0")
@Export
package org.cowstack.storage.api.dio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
