package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.osgi.service.component.annotations.Component;

/**
 * Checksums the caller's buffer, writes it, checksums it again and rewrites from a private copy
 * each block that changed meanwhile: zero copies while the buffer is stable, one block copy
 * per block that changed.
 * Unaligned writes are buffered and files without checksums are written as is, as
 * {@link Fallbacks} says.
 */
@Component(service = DioStrategy.class)
@DioStrategyService(name = "verify")
public final class Verify implements DioStrategy {
    @Override
    public DioMode choose(DirectWrite write) {
        return Fallbacks.or(write, DioMode.VERIFY);
    }
}
