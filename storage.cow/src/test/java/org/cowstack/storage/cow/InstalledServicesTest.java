package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.alloc.FreeSpaceView;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DirectWrite;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.InstalledServices.Departure;
import org.junit.jupiter.api.Test;

/**
 * The registry selects plug-ins by their service properties only: every stub here fails
 * the test if the engine asks it its name, id or scheme.
 */
class InstalledServicesTest {
    private final List<String> warnings = new ArrayList<>();
    private final InstalledServices installed = new InstalledServices(RecordingLogger.log(warnings));

    @Test
    void aServiceIsFoundByItsPropertyNeverByAskingIt() throws Exception {
        Policy policy = new Policy("a");
        Strategy strategy = new Strategy("b");
        Device device = new Device("c");
        Checksum checksum = new Checksum("d");
        assertEquals("first-fit", installed.addPolicy(policy, Map.of(AllocationPolicy.NAME, "first-fit")));
        assertEquals("verify", installed.addStrategy(strategy, Map.of(DioStrategy.NAME, "verify")));
        assertEquals("mem", installed.addDevice(device, Map.of(DeviceProvider.SCHEME, "MEM")));
        assertEquals(new InstalledServices.ChecksumKey("crc32c", 0), installed.addChecksum(checksum,
                Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0)));

        assertSame(policy, installed.allocationPolicy("first-fit"));
        assertSame(strategy, installed.dioStrategy("verify"));
        assertSame(device, installed.device("mem"));
        assertSame(device, installed.provider(URI.create("Mem:disk")));
        assertSame(checksum, installed.checksum("crc32c"));
        assertSame(checksum, installed.checksum(0));
        assertEquals(List.of(checksum), List.copyOf(installed.checksums()));
        assertNull(installed.allocationPolicy("a"));
        assertNull(installed.checksum(1));
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    @Test
    void aServiceWithoutItsPropertyIsIgnoredWithOneWarning() {
        Policy policy = new Policy("unnamed");
        assertNull(installed.addPolicy(policy, Map.of("storage.alloc", "first-fit")));
        assertNull(installed.addDevice(new Device("x"), Map.of()));
        assertNull(installed.addStrategy(new Strategy("y"), Map.of(DioStrategy.NAME, "")));
        assertNull(installed.addChecksum(new Checksum("z"), Map.of(ChecksumAlgorithm.NAME, "adler32")));
        assertNull(installed.addChecksum(new Checksum("w"), Map.of(ChecksumAlgorithm.NAME, "adler32",
                ChecksumAlgorithm.ID, "100")));

        assertNull(installed.allocationPolicy("first-fit"));
        assertNull(installed.checksum("adler32"));
        assertNull(installed.removePolicy(policy), "never installed, so nothing departs");
        assertEquals(List.of(
                "allocation policy " + Policy.class.getName() + " is ignored: it is registered without the "
                        + "storage.alloc.name property the engine selects it by",
                "device backend " + Device.class.getName() + " is ignored: it is registered without the "
                        + "storage.device.scheme property the engine selects it by",
                "DIO strategy " + Strategy.class.getName() + " is ignored: it is registered without the "
                        + "storage.dio.name property the engine selects it by (it has storage.dio.name=)",
                "checksum algorithm " + Checksum.class.getName() + " is ignored: its storage.csum.id property is "
                        + "missing, not the Integer the engine selects it by",
                "checksum algorithm " + Checksum.class.getName() + " is ignored: its storage.csum.id property is "
                        + "100 (String), not the Integer the engine selects it by"), warnings);
    }

    @Test
    void theWarningNamesTheRegisteringBundleWhenTheFrameworkIsNotThereToAsk() {
        installed.addPolicy(new Policy("p"), Map.of("service.bundleid", 42L));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("allocation policy " + Policy.class.getName() + " of bundle [42] is "
                + "ignored"), warnings.get(0));
    }

    @Test
    void aDepartingServiceIsReplacedByAnotherOfTheSameName() {
        Policy first = new Policy("first");
        Policy second = new Policy("second");
        installed.addPolicy(first, Map.of(AllocationPolicy.NAME, "p"));
        installed.addPolicy(second, Map.of(AllocationPolicy.NAME, "p"));
        assertSame(second, installed.allocationPolicy("p"), "the one bound last is used for new volumes");

        Departure<AllocationPolicy> gone = installed.removePolicy(second);
        assertEquals("p", gone.name());
        assertSame(first, gone.replacement(), "the other one still installed replaces it");
        assertSame(first, installed.allocationPolicy("p"));

        assertEquals(new Departure<AllocationPolicy>("p", null), installed.removePolicy(first));
        assertNull(installed.allocationPolicy("p"));
        assertNull(installed.removePolicy(first), "gone already");
    }

    @Test
    void aDepartingAlgorithmIsReplacedByAnotherOfTheSameIdWhateverItsName() {
        Checksum first = new Checksum("first");
        Checksum second = new Checksum("second");
        installed.addChecksum(first, Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0));
        installed.addChecksum(second, Map.of(ChecksumAlgorithm.NAME, "crc32c-sw", ChecksumAlgorithm.ID, 0));
        assertSame(first, installed.checksum(0), "algorithms: the one bound first is used");
        assertSame(second, installed.checksum("crc32c-sw"));

        Departure<ChecksumAlgorithm> gone = installed.removeChecksum(first);
        assertEquals(new Departure<ChecksumAlgorithm>("crc32c", second), gone);
        assertNull(installed.checksum("crc32c"));
        assertEquals(new Departure<ChecksumAlgorithm>("crc32c-sw", null), installed.removeChecksum(second));
    }

    @Test
    void aDepartingBackendNamesItsScheme() {
        Device device = new Device("d");
        installed.addDevice(device, Map.of(DeviceProvider.SCHEME, "file"));
        assertEquals(new Departure<DeviceProvider>("file", null), installed.removeDevice(device));
    }

    @Test
    void whatIsMissingIsSaidAsTheStatusShowsIt() throws Exception {
        VolumeSettings s = new VolumeSettings("v", URI.create("mem:v"), MountOptions.defaults().checksum("crc32c"));
        assertEquals("device backend mem:", installed.missingFor(s));
        installed.addDevice(new Device("d"), Map.of(DeviceProvider.SCHEME, "mem"));
        assertEquals("checksum crc32c", installed.missingFor(s));
        installed.addChecksum(new Checksum("c"), Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0));
        assertEquals("allocation policy first-fit", installed.missingFor(s));
        assertNull(installed.missingFor(s.with(s.options().readOnly(true))), "reading needs no policy or strategy");
        installed.addPolicy(new Policy("p"), Map.of(AllocationPolicy.NAME, "first-fit"));
        assertEquals("DIO strategy buffered", installed.missingFor(s));
        installed.addStrategy(new Strategy("s"), Map.of(DioStrategy.NAME, "buffered"));
        assertNull(installed.missingFor(s));
    }

    @Test
    void whatIsNotInstalledIsRefusedListingWhatIs() {
        installed.addPolicy(new Policy("p"), Map.of(AllocationPolicy.NAME, "next-fit"));
        installed.addPolicy(new Policy("q"), Map.of(AllocationPolicy.NAME, "best-fit"));
        assertEquals("allocation policy worst-fit is not installed (installed: best-fit, next-fit)",
                assertThrows(NotSupportedException.class, () -> installed.requirePolicy("worst-fit")).getMessage());
        assertEquals("DIO strategy verify is not installed (installed: )",
                assertThrows(NotSupportedException.class, () -> installed.requireStrategy("verify")).getMessage());
        assertEquals("checksum algorithm sha256 is not installed", assertThrows(NotSupportedException.class,
                () -> installed.requireInstalled(MountOptions.defaults().checksum("sha256"))).getMessage());
        assertEquals("no device backend for dax: is installed; storage:devices lists those that are",
                assertThrows(NotSupportedException.class, () -> installed.provider(URI.create("dax:/x")))
                        .getMessage());
        assertThrows(InvalidArgumentException.class, () -> installed.provider(URI.create("vol.img")));
    }

    private static AssertionError asked(Object service) {
        return new AssertionError("the engine asked " + service + " for what its service properties say");
    }

    private record Policy(String label) implements AllocationPolicy {
        @Override
        public String name() {
            throw asked(this);
        }

        @Override
        public Extent allocate(FreeSpaceView free, AllocationRequest request) {
            throw new UnsupportedOperationException();
        }
    }

    private record Strategy(String label) implements DioStrategy {
        @Override
        public String name() {
            throw asked(this);
        }

        @Override
        public DioMode choose(DirectWrite write) {
            throw new UnsupportedOperationException();
        }
    }

    private record Checksum(String label) implements ChecksumAlgorithm {
        @Override
        public String name() {
            throw asked(this);
        }

        @Override
        public int id() {
            throw asked(this);
        }

        @Override
        public int digestLength() {
            return 4;
        }

        @Override
        public void digest(ByteBuffer data, byte[] out, int offset) {
            throw new UnsupportedOperationException();
        }
    }

    private record Device(String label) implements DeviceProvider {
        @Override
        public String scheme() {
            throw asked(this);
        }

        @Override
        public BlockDevice open(URI uri, OpenOptions options) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String description() {
            return label;
        }
    }
}
