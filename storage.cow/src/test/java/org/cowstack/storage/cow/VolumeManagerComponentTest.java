package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Buffered;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The volume manager driven by hand as Declarative Services drives it (binds with their
 * service properties, activation, unbinds, deactivation), without a framework: services
 * coming and going reach the configured and mounted volumes, and their Volume services.
 */
class VolumeManagerComponentTest {
    private static final long SIZE = 32 << 20;
    private static final URI DEVICE = URI.create("mem:v");

    private final VolumeManagerComponent manager = new VolumeManagerComponent();
    private final MemDeviceProvider mem = new MemDeviceProvider();
    private final FirstFit firstFit = new FirstFit();
    private final List<Registration> registrations = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() throws Exception {
        manager.deactivate();
        mem.deactivate();
    }

    private void bindAll() {
        manager.addDevice(mem, Map.of(DeviceProvider.SCHEME, "mem"));
        manager.addChecksum(new Crc32c(), Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0));
        manager.addPolicy(firstFit, Map.of(AllocationPolicy.NAME, "first-fit"));
        manager.addStrategy(new Buffered(), Map.of(DioStrategy.NAME, "buffered"));
    }

    private VolumeStatus status() {
        List<VolumeStatus> all = manager.status();
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    private Registration registration() {
        synchronized (registrations) {
            return registrations.get(registrations.size() - 1);
        }
    }

    @Test
    void aConfiguredVolumeWaitsForItsBackendAndMountsWhenItArrives() throws Exception {
        bindAll();
        manager.activate(context());
        manager.mkfs(DEVICE, FormatOptions.defaults().size(SIZE));
        manager.removeDevice(mem);

        manager.configured("pid.1", Map.of("name", "v", "device", DEVICE.toString()));
        assertEquals(new VolumeStatus("v", DEVICE, VolumeState.OFFLINE, "device backend mem:", false), status());
        assertTrue(registrations.isEmpty());

        manager.addDevice(mem, Map.of(DeviceProvider.SCHEME, "mem"));
        assertEquals(new VolumeStatus("v", DEVICE, VolumeState.MOUNTED, "", true), status());
        assertEquals("v", registration().properties.get(Volume.PROP_NAME));
        assertEquals("MOUNTED", registration().properties.get(Volume.PROP_STATE));
    }

    @Test
    void aServiceWithoutItsPropertyMountsNothing() throws Exception {
        bindAll();
        manager.activate(context());
        manager.mkfs(DEVICE, FormatOptions.defaults().size(SIZE));
        manager.configured("pid.1", Map.of("name", "v", "device", DEVICE.toString(), "allocationPolicy", "next-fit"));
        assertEquals(new VolumeStatus("v", DEVICE, VolumeState.SUSPENDED, "allocation policy next-fit", false),
                status());

        manager.addPolicy(new FirstFit(), Map.of("name", "next-fit"));
        assertEquals(VolumeState.SUSPENDED, status().state(), "a policy is known by its service property only");

        manager.addPolicy(new FirstFit(), Map.of(AllocationPolicy.NAME, "next-fit"));
        assertEquals(VolumeState.MOUNTED, status().state());
    }

    @Test
    void aDepartingPolicyIsReplacedByAnotherOfItsNameOrTheVolumeWaits() throws Exception {
        bindAll();
        FirstFit second = new FirstFit();
        manager.addPolicy(second, Map.of(AllocationPolicy.NAME, "first-fit"));
        manager.activate(context());
        manager.mkfs(DEVICE, FormatOptions.defaults().size(SIZE));
        Volume v = manager.mount("v", DEVICE, MountOptions.defaults());
        assertSame(v, manager.volume("v").orElseThrow());

        manager.removePolicy(second);
        assertEquals(VolumeState.MOUNTED, v.state(), "the first one, still installed, took over");

        manager.removePolicy(firstFit);
        assertEquals(new VolumeStatus("v", DEVICE, VolumeState.SUSPENDED, "allocation policy first-fit", true),
                status());
        assertEquals("SUSPENDED", registration().properties.get(Volume.PROP_STATE));

        manager.addPolicy(new FirstFit(), Map.of(AllocationPolicy.NAME, "first-fit"));
        assertEquals(VolumeState.MOUNTED, v.state());
        assertEquals("MOUNTED", registration().properties.get(Volume.PROP_STATE));
    }

    @Test
    void aConfigurationThatChangesTheModeRemountsInPlaceAndOpenFilesSurvive() throws Exception {
        bindAll();
        manager.activate(context());
        manager.mkfs(DEVICE, FormatOptions.defaults().size(SIZE));
        manager.configured("pid.1", Map.of("name", "v", "device", DEVICE.toString()));
        Volume v = manager.volume("v").orElseThrow();
        Registration r = registration();
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
            f.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);

            manager.configured("pid.1", Map.of("name", "v", "device", DEVICE.toString(), "readOnly", true));
            assertSame(v, manager.volume("v").orElseThrow(), "not unmounted and mounted again");
            assertFalse(r.unregistered);
            assertEquals("READ_ONLY", r.properties.get(Volume.PROP_STATE));
            assertThrows(ReadOnlyException.class, () -> f.write(ByteBuffer.wrap(new byte[] {9}), 0));
            assertTrue(manager.options("v").orElseThrow().readOnly());

            manager.configured("pid.1", Map.of("name", "v", "device", DEVICE.toString(), "readOnly", false));
            assertEquals("MOUNTED", r.properties.get(Volume.PROP_STATE));
            assertEquals(1, f.write(ByteBuffer.wrap(new byte[] {4}), 3));
        }
        assertEquals(4, v.stat("/f").size());
    }

    /** A refresh mounts a read-only volume again: the same files, a new Volume, old handles closed (S3IT: a newer commit). */
    @Test
    void aRefreshMountsAReadOnlyVolumeAgainAndRefusesOthers() throws Exception {
        bindAll();
        manager.activate(context());
        manager.mkfs(DEVICE, FormatOptions.defaults().size(SIZE));
        Volume v = manager.mount("v", DEVICE, MountOptions.defaults());
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
            f.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
        }
        assertTrue(assertThrows(org.cowstack.storage.api.InvalidArgumentException.class, () -> manager.refresh("v"))
                .getMessage().contains("a volume mounted read-only"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> manager.refresh("nosuch"));
        manager.remount("v", true);
        FileHandle old = v.open("/f", EnumSet.of(StandardOpenOption.READ));
        long generation = manager.refresh("v");
        Volume again = manager.volume("v").orElseThrow();
        assertFalse(again == v, "mounted again");
        assertEquals(VolumeState.READ_ONLY, again.state());
        assertTrue(generation > 0);
        assertEquals(3, again.stat("/f").size());
        assertThrows(java.io.IOException.class, () -> old.read(ByteBuffer.allocate(3), 0), "closed with its volume");
        assertTrue(manager.options("v").orElseThrow().readOnly(), "the configuration stays");
        manager.removeDevice(mem);
        String refused = assertThrows(org.cowstack.storage.api.InvalidArgumentException.class,
                () -> manager.refresh("v")).getMessage();
        assertTrue(refused.contains("a mounted volume") || refused.contains("waits for device"), refused);
        manager.addDevice(mem, Map.of(DeviceProvider.SCHEME, "mem"));
        assertEquals(3, manager.volume("v").orElseThrow().stat("/f").size(), "still there to mount when it is back");
    }

    @Test
    void aMalformedConfigurationIsShownAndMountsNothing() throws Exception {
        bindAll();
        manager.activate(context());
        manager.configured("pid.1", Map.of("name", "v", "device", DEVICE.toString(), "readOnly", "perhaps"));
        assertEquals(new VolumeStatus("v", null, VolumeState.FAILED,
                "malformed configuration: readOnly: perhaps (expected: true or false)", false), status());
        manager.unconfigured("pid.1");
        assertTrue(manager.status().isEmpty());
    }

    @Test
    void deactivationUnmountsEveryVolumeAndWithdrawsItsService() throws Exception {
        bindAll();
        manager.activate(context());
        manager.mkfs(DEVICE, FormatOptions.defaults().size(SIZE));
        manager.mount("v", DEVICE, MountOptions.defaults());
        Registration r = registration();
        assertFalse(r.unregistered);

        manager.deactivate();
        assertTrue(r.unregistered);
        assertTrue(manager.volumes().isEmpty());
        assertTrue(manager.status().isEmpty(), "forgotten by the engine, kept by Config Admin");
    }

    /** A bundle context that registers services in {@link #registrations} and has no framework properties. */
    private BundleContext context() {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> null;
                    case "registerService" -> {
                        @SuppressWarnings("unchecked")
                        Registration r = new Registration((Dictionary<String, Object>) args[2]);
                        registrations.add(r);
                        yield r.proxy();
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** One registered service: its properties as last set, and whether it was unregistered. */
    private static final class Registration {
        volatile Dictionary<String, Object> properties;
        volatile boolean unregistered;

        Registration(Dictionary<String, Object> properties) {
            this.properties = properties;
        }

        @SuppressWarnings("unchecked")
        Object proxy() {
            return Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServiceRegistration.class}, (p, method, args) -> {
                        if (unregistered) {
                            throw new IllegalStateException("unregistered");
                        }
                        switch (method.getName()) {
                            case "setProperties" -> properties = (Dictionary<String, Object>) args[0];
                            case "unregister" -> unregistered = true;
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                        return null;
                    });
        }
    }
}
