package org.cowstack.storage.device.log;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;

/**
 * {@code log:INNER-URI}: the inner device, with every write, flush and discard recorded
 * in a {@link WriteLog} kept per inner URI across opens, so that mkfs, mount, unmount and
 * mount again make one history. The log assumes the inner device was zeros when first
 * opened (a new {@code mem:} disk). A test bench, constructed by tests, not a service.
 */
public final class LogDeviceProvider implements DeviceProvider {
    private final Function<String, DeviceProvider> inner;
    private final Map<String, WriteLog> logs = new ConcurrentHashMap<>();

    /** Inner providers by scheme. */
    public LogDeviceProvider(Function<String, DeviceProvider> inner) {
        this.inner = inner;
    }

    @Override
    public String scheme() {
        return "log";
    }

    @Override
    public String description() {
        return "records every write, flush and discard of another device for replay (test bench)";
    }

    @Override
    public BlockDevice open(URI uri, OpenOptions options) throws IOException {
        URI innerUri = innerUri(uri);
        DeviceProvider provider = inner.apply(innerUri.getScheme().toLowerCase(Locale.ROOT));
        if (provider == null) {
            throw new InvalidArgumentException("device", uri, "an installed scheme inside; " + innerUri.getScheme()
                    + ": is not installed");
        }
        BlockDevice device = provider.open(innerUri, options);
        WriteLog log = logs.computeIfAbsent(innerUri.toString(), k -> new WriteLog(device.size(), device.blockSize()));
        return new LogDevice(uri, device, log);
    }

    /** The log of {@code log:INNER} (or of INNER), created by its first open; null before. */
    public WriteLog log(URI uri) throws InvalidArgumentException {
        String s = "log".equalsIgnoreCase(uri.getScheme()) ? innerUri(uri).toString() : uri.toString();
        return logs.get(s);
    }

    private static URI innerUri(URI uri) throws InvalidArgumentException {
        if (!"log".equalsIgnoreCase(uri.getScheme())) {
            throw new InvalidArgumentException("device", uri, "a log: URI");
        }
        URI innerUri;
        try {
            innerUri = URI.create(uri.getRawSchemeSpecificPart());
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException("device", uri, "log:INNER-URI, such as log:mem:disk1");
        }
        if (innerUri.getScheme() == null || "log".equalsIgnoreCase(innerUri.getScheme())) {
            throw new InvalidArgumentException("device", uri, "log:INNER-URI with another scheme inside");
        }
        return innerUri;
    }
}
