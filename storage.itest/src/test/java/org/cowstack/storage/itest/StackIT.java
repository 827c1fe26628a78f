package org.cowstack.storage.itest;

import static java.util.stream.Collectors.joining;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.Volume;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** The stack assembled in real Felix with SCR and Gogo, driven through its services and shell. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class StackIT {
    @Inject
    private BundleContext context;

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private CommandProcessor gogo;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private InFramework in() {
        return new InFramework(context, gogo);
    }

    private Bundle bundle(String symbolicName) {
        return in().bundle(symbolicName);
    }

    private static void await(String what, InFramework.Check check) throws InterruptedException {
        InFramework.await(what, check);
    }

    private <S> Map<String, ServiceReference<S>> byProperty(Class<S> type, String property) throws Exception {
        return in().byProperty(type, property);
    }

    private int count(Class<?> type) {
        return in().count(type);
    }

    private String session(String command) throws Exception {
        return in().session(command);
    }

    private List<Bundle> storageBundles() {
        List<Bundle> bundles = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (String.valueOf(b.getSymbolicName()).startsWith("storage.")) {
                bundles.add(b);
            }
        }
        return bundles;
    }

    @Test
    public void everyStorageBundleIsActiveAndTheConsoleProfileIsAttached() {
        List<String> expected = List.of("storage.api", "storage.alloc", "storage.dio", "storage.cow", "storage.csum", "storage.dax",
                "storage.device", "storage.shell");
        for (String name : expected) {
            assertEquals(name + " is active", Bundle.ACTIVE, bundle(name).getState());
        }
        assertEquals("the console profile fragment is resolved (attached to gogo.jline)",
                Bundle.RESOLVED, bundle("storage.console").getState());
    }

    @Test
    public void everyStorageComponentIsActive() throws Exception {
        // Delayed components are instantiated on first use: use every storage service.
        for (Bundle b : storageBundles()) {
            ServiceReference<?>[] registered = b.getRegisteredServices();
            for (ServiceReference<?> ref : registered == null ? new ServiceReference<?>[0] : registered) {
                assertNotNull("service " + ref + " can be got", context.getService(ref));
                context.ungetService(ref);
            }
        }
        int components = 0;
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(storageBundles().toArray(new Bundle[0]))) {
            Collection<ComponentConfigurationDTO> configurations = scr.getComponentConfigurationDTOs(description);
            if ("require".equals(description.configurationPolicy)) {
                continue; // one per volume configuration: none is a healthy state too
            }
            assertFalse(description.name + " has a configuration", configurations.isEmpty());
            for (ComponentConfigurationDTO c : configurations) {
                // Checked while our getService above still holds... or again after: ACTIVE
                // or SATISFIED (a delayed service released again) are both healthy.
                assertTrue(description.name + " is active or satisfied, not " + c.state,
                        c.state == ComponentConfigurationDTO.ACTIVE || c.state == ComponentConfigurationDTO.SATISFIED);
                components++;
            }
        }
        // 4 algorithms, 4 device backends, first-fit, the volume manager, 4 shell components
        assertTrue("found the storage components (" + components + ")", components >= 4 + 4 + 1 + 1 + 4);
    }

    @Test
    public void theFourChecksumAlgorithmsAreRegisteredWithTheirBtrfsIds() throws Exception {
        Map<String, ServiceReference<ChecksumAlgorithm>> algorithms = byProperty(ChecksumAlgorithm.class,
                ChecksumAlgorithm.NAME);
        assertEquals(List.of("blake2b", "crc32c", "sha256", "xxhash64"), new ArrayList<>(algorithms.keySet()));
        Map<String, int[]> expected = Map.of("crc32c", new int[] {0, 4}, "xxhash64", new int[] {1, 8},
                "sha256", new int[] {2, 32}, "blake2b", new int[] {3, 32});
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            ServiceReference<ChecksumAlgorithm> ref = algorithms.get(e.getKey());
            assertEquals(e.getValue()[0], ref.getProperty(ChecksumAlgorithm.ID));
            assertEquals(e.getValue()[1], ref.getProperty(ChecksumAlgorithm.DIGEST_LENGTH));
            ChecksumAlgorithm a = context.getService(ref);
            try {
                assertEquals("service property and object agree", e.getKey(), a.name());
                assertEquals(e.getValue()[0], a.id());
                assertEquals(e.getValue()[1], a.digestLength());
            } finally {
                context.ungetService(ref);
            }
        }
        // One vector through the service, inside OSGi (bcprov wired for blake2b).
        ChecksumAlgorithm blake = context.getService(algorithms.get("blake2b"));
        assertEquals("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
                java.util.HexFormat.of().formatHex(blake.digest(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)))));
    }

    @Test
    public void stoppingStorageCsumRemovesTheAlgorithmsAndStartingBringsThemBack() throws Exception {
        Bundle csum = bundle("storage.csum");
        assertEquals(4, context.getServiceReferences(ChecksumAlgorithm.class, null).size());
        csum.stop();
        await("no checksum algorithm", () -> count(ChecksumAlgorithm.class) == 0);
        assertTrue(session("storage:csum").contains("NAME"));
        assertFalse("storage:csum lists nothing", session("storage:csum").contains("crc32c"));
        csum.start();
        await("four checksum algorithms", () -> count(ChecksumAlgorithm.class) == 4);
        assertTrue(session("storage:csum").contains("crc32c"));
    }

    @Test
    public void theDeviceSchemesAreRegisteredAndWork() throws Exception {
        Map<String, ServiceReference<DeviceProvider>> providers = byProperty(DeviceProvider.class, DeviceProvider.SCHEME);
        // s3: needs a configured store and a server: S3IT
        assertEquals(List.of("dax", "faulty", "file", "mem", "s3"), new ArrayList<>(providers.keySet()));
        Path dir = Files.createTempDirectory("stackit");
        byte[] data = new byte[4096];
        new java.util.Random(7).nextBytes(data);
        for (String uri : List.of("mem:itest", "file:" + dir.resolve("f.img") + "?direct=true",
                "dax:" + dir.resolve("d.img"))) {
            DeviceProvider p = context.getService(providers.get(URI.create(uri).getScheme()));
            try (BlockDevice d = p.open(URI.create(uri), OpenOptions.create(1 << 20))) {
                d.write(ByteBuffer.wrap(data), 8192);
                d.flush();
                ByteBuffer back = ByteBuffer.allocate(4096);
                d.read(back, 8192);
                assertArrayEquals(uri, data, back.array());
                if (uri.startsWith("file:")) {
                    assertTrue("O_DIRECT works inside OSGi (com.sun.nio.file is a system package)",
                            d.capabilities().contains(DeviceCapability.DIRECT_IO));
                }
                if (uri.startsWith("dax:")) {
                    assertTrue(d.capabilities().contains(DeviceCapability.DIRECT_ACCESS));
                }
            }
        }
    }

    @Test
    public void stoppingTheDeviceBundleTakesItsDevicesOffline() throws Exception {
        ServiceReference<DeviceProvider> ref = byProperty(DeviceProvider.class, DeviceProvider.SCHEME).get("mem");
        BlockDevice d = context.getService(ref).open(URI.create("mem:offline"), OpenOptions.create(1 << 20));
        bundle("storage.device").stop();
        try {
            d.read(ByteBuffer.allocate(512), 0);
            fail("a device of a stopped bundle must refuse I/O");
        } catch (OfflineException expected) {
            assertTrue(expected.getMessage().contains("mem:offline"));
        }
        bundle("storage.device").start();
        await("faulty, file and mem back beside dax and s3", () -> count(DeviceProvider.class) == 5);
    }

    @Test
    public void shellCommandsPrintTablesAndHelp() throws Exception {
        String csum = session("storage:csum");
        String[] lines = csum.split("\n");
        assertTrue(lines[0], lines[0].matches("NAME +ID +DIGEST BYTES +BUNDLE"));
        assertTrue(lines[1], lines[1].matches("crc32c +0 +4 +storage\\.csum .*"));
        assertTrue(lines[2], lines[2].matches("xxhash64 +1 +8 +storage\\.csum .*"));
        assertTrue(lines[3], lines[3].matches("sha256 +2 +32 +storage\\.csum .*"));
        assertTrue(lines[4], lines[4].matches("blake2b +3 +32 +storage\\.csum .*"));
        String devices = session("storage:devices");
        assertTrue(devices, devices.matches("(?s)SCHEME +BUNDLE +DESCRIPTION\ndax +storage\\.dax .*\nfaulty +storage\\.device .*\nfile +storage\\.device .*\nmem +storage\\.device .*"));
        assertTrue(session("help storage:csum").contains("list the checksum algorithms installed"));
        assertTrue(session("help storage:devices").contains("list the device URI schemes"));
        // Scripts get the rows as objects.
        assertEquals("crc32c", session("((storage:csum) get 0) name"));
    }

    /**
     * The device bundle stops (closing every device it opened): the volume on it commits
     * first and goes OFFLINE; when the bundle is back the same volume, with its open
     * files, resumes on the device opened again.
     */
    @Test
    public void aDeviceBackendGoingAwayFirstCommitsTheVolumesOnIt() throws Exception {
        Path dir = Files.createTempDirectory("stackit");
        String image = "file:" + dir.resolve("v.img");
        session("storage:mkfs --size 16m " + image + "; storage:mount v " + image);
        Volume v = context.getService(byProperty(Volume.class, Volume.PROP_NAME).get("v"));
        try (org.cowstack.storage.api.volume.FileHandle open = v.open("/unsynced",
                java.util.EnumSet.of(java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.READ))) {
            byte[] data = new byte[100 << 10];
            java.util.Arrays.fill(data, (byte) 0x77);
            open.write(ByteBuffer.wrap(data), 0);
            bundle("storage.device").stop();
            String offline = session("storage:volumes");
            assertTrue(offline, offline.matches("(?s).*\\nv +file:\\S+ +OFFLINE \\(waiting for device backend file:\\) .*"));
            assertEquals("OFFLINE", byProperty(Volume.class, Volume.PROP_NAME).get("v").getProperty(Volume.PROP_STATE));
            // What the volume held was committed before the device closed: a copy of the image has it.
            String copy = "file:" + Files.copy(dir.resolve("v.img"), dir.resolve("copy.img"));
            bundle("storage.device").start();
            await("v back", () -> session("storage:volumes").matches("(?s).*\\nv +\\S+ +MOUNTED .*"));
            ByteBuffer back = ByteBuffer.allocate(data.length);
            open.read(back, 0);
            assertArrayEquals("the file opened before works on", data, back.array());
            session("storage:mount --ro copy " + copy);
            assertEquals("read 102400/102400 bytes at offset 0", session("storage:io copy /unsynced 'pread -P 0x77 0 100k'"));
            session("storage:umount copy");
        }
        session("storage:umount v");
    }

    /**
     * Dirty data reaches the disk with no fsync once the commit interval passes. A copy
     * of the image taken while the volume is mounted is what a crash would leave (the
     * copy sees everything the engine wrote, as the device would after its flush); the
     * copy of a volume with a one-hour interval is the control that shows the interval,
     * not something else, made the difference.
     */
    @Test
    public void theCommitIntervalCommitsWithoutAnFsync() throws Exception {
        Path dir = Files.createTempDirectory("stackit");
        String fast = "file:" + dir.resolve("fast.img");
        String slow = "file:" + dir.resolve("slow.img");
        session("storage:mkfs --size 16m " + fast + "; storage:mkfs --size 16m " + slow);
        session("storage:mount --commit-interval 200ms fast " + fast + "; storage:mount --commit-interval 1h slow " + slow);
        session("storage:io fast /f 'pwrite -S 0x5a 0 64k'; storage:io slow /f 'pwrite -S 0x5a 0 64k'");
        await("the interval's commit in a copy of the image",
                () -> probeCopy(dir, "fast", "storage:io probe /f 'pread -P 0x5a 0 64k'")
                        .equals("read 65536/65536 bytes at offset 0"));
        assertEquals("", probeCopy(dir, "slow", "storage:ls probe /").lines().skip(1).collect(joining("\n")));
        session("storage:umount fast; storage:umount slow");
    }

    /** Mounts a copy of {@code NAME.img} read-only as {@code probe}, runs a command, unmounts it. */
    private String probeCopy(Path dir, String name, String command) throws Exception {
        Path copy = Files.copy(dir.resolve(name + ".img"), dir.resolve("probe.img"), StandardCopyOption.REPLACE_EXISTING);
        session("storage:mount --ro probe file:" + copy);
        try {
            return session(command);
        } finally {
            session("storage:umount probe");
        }
    }

    @Test
    public void volumeCommandsWorkThroughGogo() throws Exception {
        assertTrue(session("storage:mkfs --size 16m --csum xxhash64 mem:gogo").startsWith("formatted mem:gogo: 16M, 4096-byte blocks, xxhash64"));
        assertEquals("mounted g on mem:gogo (MOUNTED)", session("storage:mount g mem:gogo"));
        assertEquals("wrote 65536/65536 bytes at offset 0\nread 65536/65536 bytes at offset 0",
                session("storage:io g /a 'pwrite -S 0x61 0 64k' 'pread -P 0x61 0 64k'"));
        session("storage:mkdir g /d; storage:mv g /a /d/b");
        assertTrue(session("storage:ls g /d").matches("(?s)NAME +TYPE +SIZE +ALLOCATED +INODE\nb +file +65536 +65536 +\\d+"));
        assertTrue(session("storage:volumes").matches("(?s)NAME +DEVICE +STATE +CSUM +SIZE +USED\ng +mem:gogo +MOUNTED +xxhash64 .*"));
        ServiceReference<Volume> ref = context.getServiceReferences(Volume.class, "(storage.volume.name=g)").iterator().next();
        assertEquals("mem:gogo", ref.getProperty(Volume.PROP_DEVICE));
        assertEquals("MOUNTED", ref.getProperty(Volume.PROP_STATE));
        assertEquals("xxhash64", ref.getProperty(Volume.PROP_CHECKSUM));
        assertEquals(context.getService(ref).uuid().toString(), ref.getProperty(Volume.PROP_UUID));
        assertEquals("unmounted g", session("storage:umount g"));
        assertTrue(context.getServiceReferences(Volume.class, "(storage.volume.name=g)").isEmpty());
        try {
            session("storage:io g /a fsync");
            fail("an unmounted volume");
        } catch (IllegalArgumentException expected) {
            assertEquals("no volume named g is mounted; storage:volumes lists them", expected.getMessage());
        }
    }

    /**
     * DESIGN P2 through the shell on a volume filled to its last block: the NOCOW write
     * lands in place, the reflink needs no data space, no flush fails, and the volume
     * stays writable.
     */
    @Test
    public void theP2ScenarioOnAFullVolume() throws Exception {
        Path dir = Files.createTempDirectory("p2it");
        String image = "file:" + dir.resolve("p2.img");
        session("storage:mkfs --size 16m " + image + "; storage:mount p2 " + image);
        session("storage:io p2 /file1 'chattr +C' 'falloc 8k 24k'");
        String before = session("storage:io p2 /file1 fiemap");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("8192 24576 (\\d+) unwritten").matcher(before);
        assertTrue(before, m.find());
        long physical = Long.parseLong(m.group(1));
        try {
            session("storage:io p2 /filler 'pwrite -a -b 4k 0 64m'");
            fail("the volume is 16 MiB");
        } catch (org.cowstack.storage.api.NoSpaceException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("no space left on volume p2"));
        }
        assertTrue(session("storage:df p2"), session("storage:df p2").matches("(?s).*\\n\\S+ +\\S+ +\\S+ +\\S+ +0 +0 +single +dup"));
        assertEquals("wrote 8192/8192 bytes at offset 12288\nlinked 4096/4096 bytes at offset 0",
                session("storage:io p2 /file1 'pwrite 12k 8k' 'reflink /file1 8k 0 4k' fsync"));
        byte[] content = new byte[32 << 10];
        java.util.Arrays.fill(content, 12 << 10, 20 << 10, (byte) 0xcd);
        assertEquals(md5(content) + "  /file1", session("storage:io p2 /file1 md5sum"));
        assertEquals("0 8192 - hole\n8192 4096 " + physical + " unwritten\n12288 8192 " + (physical + 4096) + " -\n"
                + "20480 12288 " + (physical + 12288) + " unwritten", session("storage:io p2 /file1 fiemap"));
        // the NOCOW overwrite on the full volume: in place, and durable
        session("storage:io p2 /file1 'pwrite -S 0xab 12k 8k' fsync");
        assertTrue(session("storage:io p2 /file1 fiemap").contains("\n12288 8192 " + (physical + 4096) + " -\n"));
        long block = (physical + 4096) / 4096;
        assertTrue(session("storage:owners p2 " + block).matches("(?s)OWNER +PATH +INODE +OFFSET\nfile +/file1 +\\d+ +12288"));
        try {
            session("storage:cp --reflink p2 /file1 /file1");
            fail("a file copied onto itself would be emptied first");
        } catch (IllegalArgumentException expected) {
            assertEquals("cp: /file1 and /file1 are the same file", expected.getMessage());
        }
        assertTrue(session("storage:cp --reflink p2 /file1 /copy").startsWith("linked 32768 bytes"));
        assertTrue(session("storage:io p2 /copy fiemap").contains("12288 8192 " + (physical + 4096) + " shared"));
        session("storage:mkdir p2 /still-writable; storage:rm p2 /filler; storage:io p2 /after 'pwrite 0 1m' fsync");
        java.util.Arrays.fill(content, 12 << 10, 20 << 10, (byte) 0xab);
        session("storage:umount p2; storage:mount p2 " + image);
        assertEquals(md5(content) + "  /file1", session("storage:io p2 /file1 md5sum"));
        assertEquals(md5(content) + "  /copy", session("storage:io p2 /copy md5sum"));
        session("storage:umount p2");
    }

    /**
     * Issue 5: the DIO strategy and allocation policy bundles are stopped, updated and
     * started again, in a seeded order, while a thread streams direct and buffered
     * writes. Every write succeeds or fails with SuspendedException (nothing else), every
     * acknowledged write reads back after a remount, and after each swap the new
     * revision's service (a new class loader) is the one in effect.
     */
    @Test
    public void swappingTheDioAndAllocationBundlesDuringWritesLosesNothing() throws Exception {
        long seed = Long.getLong("storage.test.seed", System.nanoTime());
        System.out.println("seed StackIT.swap = " + seed + " (replay with -Dstorage.test.seed=" + seed + ")");
        java.util.Random r = new java.util.Random(seed);
        session("storage:mkfs --size 64m mem:swap; storage:mount --dio verify --alloc best-fit swap mem:swap");
        Volume v = context.getService(byProperty(Volume.class, Volume.PROP_NAME).get("swap"));
        int slots = 128;
        int length = 64 << 10;
        byte[] acked = new byte[slots];
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger suspended = new java.util.concurrent.atomic.AtomicInteger();
        List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread writer = new Thread(() -> {
            try (org.cowstack.storage.api.volume.FileHandle f = v.open("/stream",
                    java.util.EnumSet.of(java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE))) {
                for (int i = 0; !stop.get(); i++) {
                    int slot = i % slots;
                    byte value = (byte) (1 + i % 250);
                    ByteBuffer data = ByteBuffer.allocate(length);
                    java.util.Arrays.fill(data.array(), value);
                    try {
                        if (i % 3 == 0) {
                            f.write(data, (long) slot * length);
                        } else {
                            f.writeDirect(data, (long) slot * length);
                        }
                        synchronized (acked) {
                            acked[slot] = value;
                        }
                        ok.incrementAndGet();
                        if (i % 16 == 0) {
                            f.fsync();
                        }
                    } catch (org.cowstack.storage.api.SuspendedException e) {
                        suspended.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                unexpected.add(t);
            }
        }, "swap writer");
        writer.start();
        try {
            for (int round = 0; round < 10; round++) {
                List<String> order = new ArrayList<>(List.of("storage.dio", "storage.alloc"));
                java.util.Collections.shuffle(order, r);
                for (String name : order) {
                    boolean dio = name.equals("storage.dio");
                    Class<?> type = dio ? org.cowstack.storage.api.dio.DioStrategy.class
                            : org.cowstack.storage.api.alloc.AllocationPolicy.class;
                    String property = dio ? org.cowstack.storage.api.dio.DioStrategy.NAME
                            : org.cowstack.storage.api.alloc.AllocationPolicy.NAME;
                    String used = dio ? "verify" : "best-fit";
                    Object before = context.getService(byProperty(type, property).get(used));
                    Bundle b = bundle(name);
                    b.stop();
                    Thread.sleep(r.nextInt(30));
                    b.update();
                    b.start();
                    await(name + " registers its services again", () -> byProperty(type, property).containsKey(used));
                    Object after = context.getService(byProperty(type, property).get(used));
                    assertTrue("the updated bundle's " + used + " is a new class",
                            after.getClass().getClassLoader() != before.getClass().getClassLoader());
                    int acknowledged = ok.get();
                    await("writes go on after " + name + " was swapped", () -> ok.get() > acknowledged + 5);
                    assertEquals("swap: direct writes use verify", session("storage:dio swap"));
                    assertEquals("swap: allocates with best-fit", session("storage:alloc swap"));
                }
            }
        } finally {
            stop.set(true);
            writer.join(30_000);
        }
        assertEquals("only SuspendedException may fail a write: " + unexpected, List.of(), unexpected);
        System.out.println("swap: " + ok.get() + " writes acknowledged, " + suspended.get()
                + " failed with SuspendedException while a bundle was away");
        session("storage:umount swap; storage:mount swap mem:swap");
        Volume again = context.getService(byProperty(Volume.class, Volume.PROP_NAME).get("swap"));
        try (org.cowstack.storage.api.volume.FileHandle f = again.open("/stream",
                java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
            for (int slot = 0; slot < slots; slot++) {
                if (acked[slot] == 0) {
                    continue;
                }
                ByteBuffer back = ByteBuffer.allocate(length);
                f.read(back, (long) slot * length);
                byte[] want = new byte[length];
                java.util.Arrays.fill(want, acked[slot]);
                assertArrayEquals("slot " + slot + " holds its last acknowledged write (seed " + seed + ")", want,
                        back.array());
            }
        }
        session("storage:umount swap");
    }

    private static String md5(byte[] data) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(data));
    }
}
