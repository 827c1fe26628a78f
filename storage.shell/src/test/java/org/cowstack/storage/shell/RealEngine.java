package org.cowstack.storage.shell;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

import org.cowstack.storage.alloc.BestFit;
import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.alloc.NextFit;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.cow.VolumeManagerComponent;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The engine itself ({@link VolumeManagerComponent}, as Declarative Services wires it) with
 * the file and RAM device backends, crc32c, the three allocation policies and the DIO
 * strategies, without a framework or Config Admin (so nothing is recorded): for shell
 * tests whose messages must be the engine's own, on real image files. Its binding methods
 * are package-private, so they are called as DS calls them, by reflection.
 */
final class RealEngine implements AutoCloseable {
    final VolumeManagerComponent manager = new VolumeManagerComponent();
    private final FileDeviceProvider files = new FileDeviceProvider();
    private final MemDeviceProvider mem = new MemDeviceProvider();

    RealEngine() {
        call("addDevice", DeviceProvider.class, files, Map.of(DeviceProvider.SCHEME, "file"));
        call("addDevice", DeviceProvider.class, mem, Map.of(DeviceProvider.SCHEME, "mem"));
        call("addChecksum", ChecksumAlgorithm.class, new Crc32c(), Map.of(ChecksumAlgorithm.NAME, "crc32c",
                ChecksumAlgorithm.ID, 0));
        call("addPolicy", AllocationPolicy.class, new FirstFit(), Map.of(AllocationPolicy.NAME, "first-fit"));
        call("addPolicy", AllocationPolicy.class, new BestFit(), Map.of(AllocationPolicy.NAME, "best-fit"));
        call("addPolicy", AllocationPolicy.class, new NextFit(), Map.of(AllocationPolicy.NAME, "next-fit"));
        for (DioStrategy s : new DioStrategy[] {new Buffered(), new Bounce(), new NoDataSum(), new Verify(),
            new Direct()}) {
            call("addStrategy", DioStrategy.class, s, Map.of(DioStrategy.NAME, s.getClass().getSimpleName()
                    .toLowerCase(java.util.Locale.ROOT)));
        }
        invoke("activate", new Class<?>[] {BundleContext.class}, context());
    }

    VolumeManager manager() {
        return manager;
    }

    @Override
    public void close() throws java.io.IOException {
        invoke("deactivate", new Class<?>[0]);
        files.deactivate();
        mem.deactivate();
    }

    private void call(String method, Class<?> service, Object instance, Map<String, Object> properties) {
        invoke(method, new Class<?>[] {service, Map.class}, instance, properties);
    }

    private void invoke(String name, Class<?>[] types, Object... args) {
        try {
            Method m = VolumeManagerComponent.class.getDeclaredMethod(name, types);
            m.setAccessible(true);
            m.invoke(manager, args);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(name, e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(name, e);
        }
    }

    /** A bundle context without framework properties whose registrations go nowhere. */
    private static BundleContext context() {
        ClassLoader loader = RealEngine.class.getClassLoader();
        return (BundleContext) Proxy.newProxyInstance(loader, new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> null;
                    case "registerService" -> Proxy.newProxyInstance(loader, new Class<?>[] {ServiceRegistration.class},
                            (p, m, a) -> m.getName().equals("hashCode") ? System.identityHashCode(p) : null);
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
