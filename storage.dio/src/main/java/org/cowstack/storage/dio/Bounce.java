package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.osgi.service.component.annotations.Component;

/**
 * Checksums and writes a private copy, bypassing the cache: one copy, always safe; the
 * caller's later changes to its buffer cannot reach the device.
 * Unaligned writes are buffered and files without checksums are written as is, as
 * {@link Fallbacks} says.
 */
@Component(service = DioStrategy.class)
@DioStrategyService(name = "bounce")
public final class Bounce implements DioStrategy {
    @Override
    public DioMode choose(DirectWrite write) {
        return Fallbacks.or(write, DioMode.BOUNCE);
    }
}
