package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.osgi.service.component.annotations.Component;

/**
 * Checksums the caller's buffer and writes it: zero copies, and a false checksum error for
 * every block the caller changes during the write. The old unsafe behaviour, kept to
 * demonstrate the bug (DESIGN P1); do not use it for data you care about.
 * Unaligned writes are buffered and files without checksums are written as is, as
 * {@link Fallbacks} says.
 */
@Component(service = DioStrategy.class)
@DioStrategyService(name = "direct")
public final class Direct implements DioStrategy {
    @Override
    public DioMode choose(DirectWrite write) {
        return Fallbacks.or(write, DioMode.DIRECT);
    }
}
