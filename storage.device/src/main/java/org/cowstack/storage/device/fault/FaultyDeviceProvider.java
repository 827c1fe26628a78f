package org.cowstack.storage.device.fault;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.DeviceProviderService;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.device.base.OpenDevices;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code faulty:INNER-URI}: wraps the device the inner URI names (any other scheme)
 * in one that injects faults on demand, for reliability tests. The device returned
 * implements {@link org.cowstack.storage.device.faulty.FaultControl}.
 */
@Component(service = DeviceProvider.class)
@DeviceProviderService(scheme = "faulty")
public final class FaultyDeviceProvider implements DeviceProvider {
    private final Map<String, DeviceProvider> providers = new ConcurrentHashMap<>();
    private final Function<String, DeviceProvider> inner;
    private final OpenDevices open = new OpenDevices();

    /** For the OSGi component: inner providers come from the service registry. */
    public FaultyDeviceProvider() {
        this.inner = providers::get;
    }

    /** For plain use: inner providers by scheme. */
    public FaultyDeviceProvider(Function<String, DeviceProvider> inner) {
        this.inner = inner;
    }

    /**
     * Every provider but this one: a faulty device never wraps a faulty one. A reference
     * target must be a constant, so the filter repeats the scheme of the annotation above
     * (FaultyDeviceTest checks the generated component description against scheme()).
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(!(" + DeviceProvider.SCHEME + "=faulty))")
    void addProvider(DeviceProvider provider) {
        providers.put(provider.scheme(), provider);
    }

    void removeProvider(DeviceProvider provider) {
        providers.remove(provider.scheme(), provider);
    }

    @Override
    public String description() {
        return "wraps another device and injects failures, torn writes and power cuts (test bench)";
    }

    @Override
    public BlockDevice open(URI uri, OpenOptions options) throws IOException {
        String scheme = scheme();
        if (!scheme.equalsIgnoreCase(uri.getScheme())) {
            throw new InvalidArgumentException("device", uri, "a faulty: URI");
        }
        URI innerUri;
        try {
            innerUri = URI.create(uri.getRawSchemeSpecificPart());
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException("device", uri, "faulty:INNER-URI, such as faulty:mem:disk1");
        }
        if (innerUri.getScheme() == null || scheme.equalsIgnoreCase(innerUri.getScheme())) {
            throw new InvalidArgumentException("device", uri, "faulty:INNER-URI with another scheme inside");
        }
        DeviceProvider provider = inner.apply(innerUri.getScheme().toLowerCase(java.util.Locale.ROOT));
        if (provider == null) {
            throw new InvalidArgumentException("device", uri, "an installed scheme inside; " + innerUri.getScheme()
                    + ": is not installed");
        }
        // The inner provider enforces exclusive opening of the inner device itself.
        return open.open(uri.toString() + "#" + System.identityHashCode(uri), options.isReadOnly(), uri.toString(),
                () -> new FaultyDevice(uri, provider.open(innerUri, options)));
    }

    @Deactivate
    public void deactivate() throws IOException {
        IOException failure = open.closeAll();
        if (failure != null) {
            throw failure;
        }
    }
}
