package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.Map;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.cow.cache.CacheSize;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Buffered;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The engine's configuration as Declarative Services hands it to the volume manager: the
 * cache size at activation, and a change applied to a mounted volume without unmounting it.
 */
class EngineConfigurationTest {
    private static final URI DEVICE = URI.create("mem:engineconf");

    private final VolumeManagerComponent manager = new VolumeManagerComponent();
    private final MemDeviceProvider mem = new MemDeviceProvider();

    @AfterEach
    void stop() throws Exception {
        manager.deactivate();
        mem.deactivate();
    }

    private static BundleContext context() {
        Object registration = Proxy.newProxyInstance(EngineConfigurationTest.class.getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(EngineConfigurationTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> null;
                    case "registerService" -> registration;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private Volume start(Map<String, Object> configuration) throws Exception {
        manager.addDevice(mem, Map.of(DeviceProvider.SCHEME, "mem"));
        manager.addChecksum(new Crc32c(), Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0));
        manager.addPolicy(new FirstFit(), Map.of(AllocationPolicy.NAME, "first-fit"));
        manager.addStrategy(new Buffered(), Map.of(DioStrategy.NAME, "buffered"));
        manager.start(context(), configuration);
        manager.mkfs(DEVICE, FormatOptions.defaults().size(32 << 20));
        return manager.mount("v", DEVICE, MountOptions.defaults());
    }

    @Test
    void theConfiguredSizeAppliesAtMountAndAChangeAppliesToTheMountedVolume() throws Exception {
        Volume v = start(Map.of("cacheSize", "8m"));
        assertEquals(8L << 20, v.cache().sizeLimit());
        manager.modified(Map.of("cacheSize", 4L << 20));
        assertEquals(4L << 20, v.cache().sizeLimit(), "the same volume, still mounted");
        manager.modified(Map.of());
        assertEquals(CacheSize.defaultBytes() / 4096 * 4096, v.cache().sizeLimit(), "back to the default");
    }

    @Test
    void aMalformedSizeIsReportedAndTheDefaultApplies() throws Exception {
        Volume v = start(Map.of("cacheSize", "lots"));
        assertEquals(CacheSize.defaultBytes() / 4096 * 4096, v.cache().sizeLimit());
    }
}
