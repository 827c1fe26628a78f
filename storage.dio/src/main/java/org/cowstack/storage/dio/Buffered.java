package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.osgi.service.component.annotations.Component;

/**
 * Copies the data into the page cache and takes the buffered path, as btrfs does for every
 * checksummed file: one copy, always safe, and the data is cached.
 * Unaligned writes are buffered and files without checksums are written as is, as
 * {@link Fallbacks} says.
 */
@Component(service = DioStrategy.class)
@DioStrategyService(name = "buffered")
public final class Buffered implements DioStrategy {
    @Override
    public DioMode choose(DirectWrite write) {
        return Fallbacks.or(write, DioMode.BUFFERED);
    }
}
