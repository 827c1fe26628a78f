package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.osgi.service.component.annotations.Component;

/**
 * Writes the caller's buffer as is and records the blocks as unchecksummed: zero copies and no
 * false checksum errors, at the price of no checksum for those blocks (fiemap and stat show
 * them).
 * Unaligned writes are buffered and files without checksums are written as is, as
 * {@link Fallbacks} says.
 */
@Component(service = DioStrategy.class)
@DioStrategyService(name = "nodatasum")
public final class NoDataSum implements DioStrategy {
    @Override
    public DioMode choose(DirectWrite write) {
        return Fallbacks.or(write, DioMode.NODATASUM);
    }
}
