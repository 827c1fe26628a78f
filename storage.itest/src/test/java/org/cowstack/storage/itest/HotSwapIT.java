package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.itest.adler.Activator;
import org.cowstack.storage.itest.adler.Adler32Checksum;
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
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * Issue 6: bundles swapped at run time under load lose nothing (DESIGN 3, "Hot swap,
 * precisely"), and volumes are Config Admin configuration.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HotSwapIT {
    private static final int BLOCK = 4096;
    /** A write: four self-describing blocks. */
    private static final int WRITE = 4 * BLOCK;
    private static final int SLOTS = 32;

    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor gogo;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Inject
    private MetaTypeService metatype;

    @Inject
    private VolumeManager manager;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private InFramework in() {
        return new InFramework(context, gogo);
    }

    private String session(String command) throws Exception {
        return in().session(command);
    }

    private Volume volume(String name) throws Exception {
        ServiceReference<Volume> ref = in().byProperty(Volume.class, Volume.PROP_NAME).get(name);
        assertNotNull("volume " + name + " is registered", ref);
        return context.getService(ref);
    }

    /** The row of {@code storage:volumes} for a volume, columns split. */
    private String[] row(String name) throws Exception {
        return session("storage:volumes").lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> l.split(" {2,}")).orElse(new String[0]);
    }

    private String state(String name) throws Exception {
        String[] r = row(name);
        return r.length > 2 ? r[2] : "(no row)";
    }

    // ------------------------------------------------------------------ the load: self-describing blocks

    /**
     * Every 4 KiB block written says who wrote it, where and when (writer, slot, block,
     * sequence number) and is filled from those: a reader can tell a right block from a
     * stale, misplaced or corrupt one without knowing which write it raced with.
     */
    private static void fill(ByteBuffer b, int writer, int slot, long seq) {
        for (int k = 0; k < WRITE / BLOCK; k++) {
            int base = k * BLOCK;
            b.putInt(base, writer).putInt(base + 4, slot).putInt(base + 8, k).putLong(base + 12, seq);
            long x = seq * 0x9E3779B97F4A7C15L + writer * 31L + slot * 7L + k;
            for (int i = 20; i < BLOCK; i += 4) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                b.putInt(base + i, (int) x);
            }
        }
    }

    /** What is wrong with one block read back, or null: {@code minSeq..maxSeq} are the sequence numbers it may hold. */
    private static String check(ByteBuffer b, int k, int writer, int slot, long minSeq, long maxSeq) {
        int base = k * BLOCK;
        boolean zero = true;
        for (int i = 0; i < BLOCK && zero; i += 8) {
            zero = b.getLong(base + i) == 0;
        }
        if (zero) {
            return minSeq == 0 ? null : "block " + k + " reads as zeros after write " + minSeq + " was acknowledged";
        }
        long seq = b.getLong(base + 12);
        if (b.getInt(base) != writer || b.getInt(base + 4) != slot || b.getInt(base + 8) != k) {
            return "block " + k + " belongs to writer " + b.getInt(base) + " slot " + b.getInt(base + 4) + " block "
                    + b.getInt(base + 8);
        }
        if (seq < minSeq || seq > maxSeq) {
            return "block " + k + " holds write " + seq + ", expected one of " + minSeq + ".." + maxSeq;
        }
        ByteBuffer want = ByteBuffer.allocate(WRITE);
        fill(want, writer, slot, seq);
        if (!want.slice(base, BLOCK).equals(b.slice(base, BLOCK))) {
            return "block " + k + " of write " + seq + " has other content";
        }
        return null;
    }

    /** One file of one volume that one writer owns; readers check it concurrently. */
    private static final class Target {
        final Volume volume;
        final String path;
        final int writer;
        final AtomicLongArray issued = new AtomicLongArray(SLOTS);
        final AtomicLongArray acked = new AtomicLongArray(SLOTS);

        Target(Volume volume, String path, int writer) {
            this.volume = volume;
            this.path = path;
            this.writer = writer;
        }
    }

    /** The writers and readers, and what they saw. */
    private static final class Load {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger acknowledged = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger suspended = new AtomicInteger();
        final List<String> wrong = new CopyOnWriteArrayList<>();
        final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        /** Every operation: its start (System.nanoTime) and its duration in nanoseconds. */
        final ConcurrentLinkedQueue<long[]> operations = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();

        void timed(long startNanos) {
            operations.add(new long[] {startNanos, System.nanoTime() - startNanos});
        }

        void writer(Target t, long seed) {
            threads.add(new Thread(() -> {
                Random r = new Random(seed);
                ByteBuffer data = ByteBuffer.allocate(WRITE);
                try (FileHandle f = t.volume.open(t.path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE))) {
                    for (long seq = 1; !stop.get(); seq++) {
                        int slot = r.nextInt(SLOTS);
                        fill(data.clear(), t.writer, slot, seq);
                        t.issued.set(slot, seq);
                        long start = System.nanoTime();
                        try {
                            int mode = r.nextInt(8);
                            if (mode < 3) {
                                f.write(data, (long) slot * WRITE);
                            } else {
                                f.writeDirect(data, (long) slot * WRITE);
                            }
                            if (mode == 7) {
                                f.fsync();
                            }
                            t.acked.set(slot, seq);
                            acknowledged.incrementAndGet();
                        } catch (SuspendedException e) {
                            suspended.incrementAndGet();
                        }
                        timed(start);
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                }
            }, "hotswap writer " + t.volume.name() + t.path));
        }

        void reader(List<Target> targets, long seed) {
            threads.add(new Thread(() -> {
                Random r = new Random(seed);
                ByteBuffer back = ByteBuffer.allocate(WRITE);
                Map<Target, FileHandle> open = new HashMap<>();
                try {
                    while (!stop.get()) {
                        Target t = targets.get(r.nextInt(targets.size()));
                        int slot = r.nextInt(SLOTS);
                        long start = System.nanoTime();
                        try {
                            FileHandle f = open.get(t);
                            if (f == null) {
                                f = t.volume.open(t.path, EnumSet.of(StandardOpenOption.READ));
                                open.put(t, f);
                            }
                            long min = t.acked.get(slot);
                            // Beyond the end of the file a read returns -1 and fills nothing: what is left reads as zeros.
                            Arrays.fill(back.array(), (byte) 0);
                            back.clear();
                            f.read(back, (long) slot * WRITE);
                            long max = t.issued.get(slot);
                            for (int k = 0; k < WRITE / BLOCK; k++) {
                                String problem = check(back, k, t.writer, slot, min, max);
                                if (problem != null) {
                                    wrong.add(t.volume.name() + t.path + " slot " + slot + ": " + problem);
                                }
                            }
                            reads.incrementAndGet();
                        } catch (SuspendedException e) {
                            suspended.incrementAndGet();
                        } catch (java.nio.file.NoSuchFileException notYet) {
                            // the writer has not created it yet
                        }
                        timed(start);
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    for (FileHandle f : open.values()) {
                        try {
                            f.close();
                        } catch (IOException e) {
                            unexpected.add(e);
                        }
                    }
                }
            }, "hotswap reader"));
        }

        void start() {
            threads.forEach(Thread::start);
        }

        void stopAndJoin() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(120_000);
                assertFalse(t.getName() + " finished", t.isAlive());
            }
        }

        String figures() {
            long[] l = operations.stream().mapToLong(o -> o[1]).sorted().toArray();
            if (l.length == 0) {
                return "no operations";
            }
            return String.format("%d operations (%d writes acknowledged, %d reads verified), %d failed with "
                    + "SuspendedException; latency p50 %.2f ms, p99 %.2f ms, longest stall %.1f ms", l.length,
                    acknowledged.get(), reads.get(), suspended.get(), l[l.length / 2] / 1e6,
                    l[(int) Math.min(l.length - 1, l.length * 99L / 100)] / 1e6, l[l.length - 1] / 1e6);
        }

        /** The longest operation that overlapped a swap of each bundle, in ms: the stall that bundle's update costs. */
        String stallsBySwappedBundle(List<Object[]> swaps) {
            Map<String, Long> longest = new java.util.TreeMap<>();
            for (Object[] swap : swaps) {
                long from = (Long) swap[1];
                long to = (Long) swap[2];
                long max = operations.stream().filter(o -> o[0] < to && o[0] + o[1] > from).mapToLong(o -> o[1])
                        .max().orElse(0);
                longest.merge((String) swap[0], max, Math::max);
            }
            return longest.entrySet().stream().map(e -> e.getKey() + " " + String.format("%.1f", e.getValue() / 1e6))
                    .collect(Collectors.joining(", ")) + " ms";
        }
    }

    // ------------------------------------------------------------------ leaks

    private static long countProc(String file, Path dir) throws IOException {
        if (file.equals("fd")) {
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                return fds.filter(fd -> {
                    try {
                        return Files.readSymbolicLink(fd).startsWith(dir);
                    } catch (IOException | UnsupportedOperationException gone) {
                        return false;
                    }
                }).count();
            }
        }
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(l -> l.contains(dir.toString())).count();
        }
    }

    /**
     * The storage threads, given idle ones time to end: read-ahead threads end 2 s after
     * their last read. A leaked thread never does.
     */
    private static long storageThreadsOnceIdle(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        long n = storageThreads();
        while (n != expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            n = storageThreads();
        }
        return n;
    }

    private static long storageThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("storage")).count();
    }

    // ------------------------------------------------------------------ tests

    /**
     * Writers and verifying readers on two volumes (a file: and a dax: device, different
     * algorithms, policies and strategies, file handles kept open throughout) while
     * storage.csum, storage.alloc, storage.dio, storage.device and storage.dax are
     * stopped, updated and started 100 times in a seeded order. Afterwards: no operation failed but with SuspendedException, no read
     * returned wrong data, every acknowledged write is on disk after a remount, and
     * nothing of the replaced revisions (class loaders, threads, file descriptors,
     * mappings) is left.
     */
    @Test
    public void swappingEveryServiceBundleHundredTimesUnderLoadLosesNothing() throws Exception {
        long seed = Long.getLong("storage.test.seed", System.nanoTime());
        System.out.println("seed HotSwapIT.swap = " + seed + " (replay with -Dstorage.test.seed=" + seed + ")");
        Random r = new Random(seed);
        Path dir = Files.createTempDirectory("hotswap");
        String a = "file:" + dir.resolve("a.img");
        String b = "dax:" + dir.resolve("b.img"); // mapped: the leak check counts its mappings
        session("storage:mkfs --size 96m " + a + "; storage:mkfs --size 96m --csum xxhash64 " + b);
        session("storage:mount --alloc best-fit --dio verify --commit-interval 300ms --suspend-timeout 60s a " + a);
        session("storage:mount --alloc next-fit --dio bounce --commit-interval 1s --suspend-timeout 60s b " + b);
        List<Target> targets = new ArrayList<>();
        int writer = 0;
        for (String name : List.of("a", "b")) {
            Volume v = volume(name);
            for (int w = 0; w < 2; w++) {
                targets.add(new Target(v, "/w" + w, writer++));
            }
        }
        long fdsBefore = countProc("fd", dir);
        long mapsBefore = countProc("maps", dir);
        long threadsBefore = storageThreads();
        Load load = new Load();
        for (Target t : targets) {
            load.writer(t, r.nextLong());
        }
        load.reader(targets, r.nextLong());
        load.reader(targets, r.nextLong());
        load.start();

        List<String> bundles = List.of("storage.csum", "storage.alloc", "storage.dio", "storage.device", "storage.dax");
        Map<String, Integer> swaps = new java.util.TreeMap<>();
        List<WeakReference<ClassLoader>> replaced = new ArrayList<>();
        List<Object[]> swapTimes = new ArrayList<>(); // bundle, start, end (nanoTime)
        long longestSwap = 0;
        try {
            for (int i = 0; i < 100; i++) {
                String name = bundles.get(r.nextInt(bundles.size()));
                Bundle bundle = in().bundle(name);
                replaced.add(Revisions.loaderOf(bundle));
                int before = load.acknowledged.get();
                long start = System.nanoTime();
                bundle.stop();
                Thread.sleep(r.nextInt(20));
                bundle.update();
                bundle.start();
                longestSwap = Math.max(longestSwap, System.nanoTime() - start);
                swapTimes.add(new Object[] {name, start, System.nanoTime()});
                swaps.merge(name, 1, Integer::sum);
                InFramework.await("writes go on after swap " + i + " of " + name, 60_000,
                        () -> load.acknowledged.get() > before + 4 || !load.unexpected.isEmpty());
                if (!load.unexpected.isEmpty() || !load.wrong.isEmpty()) {
                    break;
                }
            }
        } finally {
            load.stopAndJoin();
        }
        System.out.println("hotswap: " + swaps + " swaps (longest stop-update-start "
                + TimeUnit.NANOSECONDS.toMillis(longestSwap) + " ms); " + load.figures()
                + "; longest stall during a swap of " + load.stallsBySwappedBundle(swapTimes));
        assertEquals("only SuspendedException may fail an operation (seed " + seed + ")", List.of(),
                load.unexpected.stream().map(String::valueOf).collect(Collectors.toList()));
        assertEquals("no read returned wrong data (seed " + seed + ")", List.of(),
                load.wrong.stream().limit(10).collect(Collectors.toList()));
        assertEquals(100, swaps.values().stream().mapToInt(Integer::intValue).sum());
        for (String name : List.of("a", "b")) {
            assertEquals("MOUNTED", state(name));
        }

        // Leaks: what the replaced revisions had is gone once nothing can keep it.
        Revisions.refresh(context);
        Revisions.assertCollected("after 100 swaps", replaced);
        long threadsAfter = storageThreadsOnceIdle(threadsBefore);
        System.out.println("hotswap leaks: " + replaced.size() + " replaced class loaders all collected; image "
                + "descriptors " + fdsBefore + " -> " + countProc("fd", dir) + ", image mappings " + mapsBefore + " -> "
                + countProc("maps", dir) + ", storage threads " + threadsBefore + " -> " + threadsAfter);
        assertEquals("open descriptors of the images", fdsBefore, countProc("fd", dir));
        assertEquals("mappings of the images", mapsBefore, countProc("maps", dir));
        assertEquals("storage threads", threadsBefore, threadsAfter);

        // Durable: every acknowledged write, exactly, after an unmount and a mount.
        session("storage:umount a; storage:umount b; storage:mount a " + a + "; storage:mount b " + b);
        for (Target t : targets) {
            Volume v = volume(t.volume.name());
            try (FileHandle f = v.open(t.path, EnumSet.of(StandardOpenOption.READ))) {
                ByteBuffer back = ByteBuffer.allocate(WRITE);
                for (int slot = 0; slot < SLOTS; slot++) {
                    long seq = t.acked.get(slot);
                    Arrays.fill(back.array(), (byte) 0);
                    back.clear();
                    f.read(back, (long) slot * WRITE);
                    for (int k = 0; k < WRITE / BLOCK; k++) {
                        assertNull(t.volume.name() + t.path + " slot " + slot + " (seed " + seed + ")",
                                check(back, k, t.writer, slot, seq, seq));
                    }
                }
            }
        }
        session("storage:umount a; storage:umount b");
    }

    /**
     * The algorithm stays away longer than the suspend timeout: operations fail cleanly
     * with SuspendedException naming it, storage:volumes says what the volume waits for,
     * and the volume recovers, data intact, when the algorithm comes back.
     */
    @Test
    public void aVolumeWhoseAlgorithmStaysMissingFailsCleanlyAndRecovers() throws Exception {
        session("storage:mkfs --size 16m --csum sha256 mem:missing");
        session("storage:mount --suspend-timeout 300ms m mem:missing");
        session("storage:io m /f 'pwrite -S 0x3c 0 64k'");
        Bundle csum = in().bundle("storage.csum");
        csum.stop();
        assertEquals("SUSPENDED (waiting for checksum sha256)", state("m"));
        assertEquals("SUSPENDED", in().byProperty(Volume.class, Volume.PROP_NAME).get("m").getProperty(Volume.PROP_STATE));
        for (String op : List.of("'pread -P 0x3c 0 64k'", "'pwrite -S 0x11 0 4k'")) {
            long start = System.nanoTime();
            try {
                session("storage:io m /f " + op);
                fail(op + " while the algorithm is missing");
            } catch (SuspendedException expected) {
                assertEquals("volume m is suspended, waiting for checksum sha256", expected.getMessage());
                assertEquals("checksum sha256", expected.missing());
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(op + " waited the timeout, not forever: " + ms + " ms", ms >= 250 && ms < 10_000);
        }
        csum.start();
        InFramework.await("m resumes", () -> state("m").equals("MOUNTED"));
        assertEquals("read 65536/65536 bytes at offset 0", session("storage:io m /f 'pread -P 0x3c 0 64k'"));
        session("storage:umount m");
    }

    /** A bundle built now, from a class of this test, packed with a manifest. */
    private byte[] adlerBundle() throws IOException {
        Manifest mf = new Manifest();
        Attributes main = mf.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", "adler32.test");
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Bundle-Activator", Activator.class.getName());
        main.putValue("Import-Package", "org.cowstack.storage.api.csum;version=\"[1,2)\",org.osgi.framework");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            for (Class<?> c : List.of(Adler32Checksum.class, Activator.class)) {
                String entry = c.getName().replace('.', '/') + ".class";
                jar.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    jar.write(in.readAllBytes());
                }
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /**
     * A checksum algorithm the stack does not ship, in a bundle built by this test:
     * installed into the running framework, storage:csum lists it and mkfs uses it at
     * once. Uninstalled, its volume waits for it and nothing keeps its class loader;
     * installed again, the volume resumes.
     */
    @Test
    public void aNewChecksumBundleIsUsableAtOnceAndLeavesNothingWhenUninstalled() throws Exception {
        Bundle adler = context.installBundle("test:adler32", new ByteArrayInputStream(adlerBundle()));
        adler.start();
        String csum = session("storage:csum");
        assertTrue(csum, csum.lines().anyMatch(l -> l.matches("adler32 +100 +4 +adler32\\.test .*")));
        assertTrue(session("storage:mkfs --csum adler32 --size 16m mem:adler").contains(", adler32, uuid "));
        session("storage:mount ad mem:adler; storage:io ad /f 'pwrite -S 0x5e 0 256k' fsync");
        assertEquals("adler32", row("ad")[3]);

        WeakReference<ClassLoader> loader = Revisions.loaderOf(adler);
        adler.uninstall();
        assertEquals("SUSPENDED (waiting for checksum adler32)", state("ad"));
        Revisions.refresh(context);
        Revisions.assertCollected("the uninstalled adler32 bundle", List.of(loader));

        context.installBundle("test:adler32-again", new ByteArrayInputStream(adlerBundle())).start();
        InFramework.await("ad resumes", () -> state("ad").equals("MOUNTED"));
        assertEquals("read 262144/262144 bytes at offset 0", session("storage:io ad /f 'pread -P 0x5e 0 256k'"));
        session("storage:umount ad");
    }

    /**
     * Updating the engine itself commits and unmounts every volume; the new engine
     * mounts them again from their configuration, with their policies.
     */
    @Test
    public void updatingTheEngineMountsTheVolumesAgainFromConfiguration() throws Exception {
        Path dir = Files.createTempDirectory("engine");
        String image = "file:" + dir.resolve("e.img");
        session("storage:mkfs --size 16m " + image + "; storage:mount --alloc best-fit --dio verify e " + image);
        session("storage:io e /unsynced 'pwrite -S 0x6d 0 128k'"); // no fsync: the unmount commits it
        Bundle engine = in().bundle("storage.cow");
        long before = in().byProperty(Volume.class, Volume.PROP_NAME).get("e").getBundle().getBundleId();
        ClassLoader old = engine.adapt(BundleWiring.class).getClassLoader();
        engine.update();
        InFramework.await("e mounted by the new engine", () -> {
            ServiceReference<Volume> ref = in().byProperty(Volume.class, Volume.PROP_NAME).get("e");
            return ref != null && context.getService(ref).getClass().getClassLoader() != old;
        });
        assertEquals(before, engine.getBundleId());
        assertEquals("e: allocates with best-fit", session("storage:alloc e"));
        assertEquals("e: direct writes use verify", session("storage:dio e"));
        assertEquals("read 131072/131072 bytes at offset 0", session("storage:io e /unsynced 'pread -P 0x6d 0 128k'"));
        session("storage:umount e");
    }

    /**
     * Volumes are configuration: mount and the policy commands record it, a
     * configuration written through Config Admin mounts its volume, a malformed one is
     * reported and mounts nothing, mount is idempotent for the same device and refused
     * for another, umount removes the configuration; metatype describes it.
     */
    @Test
    public void volumesAreConfigurationDescribedByMetatype() throws Exception {
        session("storage:mkfs --size 16m mem:cfg; storage:mkfs --size 16m --csum blake2b mem:other");
        assertEquals("mounted c on mem:cfg (MOUNTED)", session("storage:mount --alloc best-fit c mem:cfg"));
        assertEquals("mounted c on mem:cfg (MOUNTED)", session("storage:mount c mem:cfg"));
        try {
            session("storage:mount c mem:other");
            fail("the name is mounted on another device");
        } catch (org.cowstack.storage.api.BusyException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("it is mounted on mem:cfg"));
        }
        session("storage:dio c verify");
        Map<String, Object> recorded = configurationOf("c");
        assertEquals("mem:cfg", recorded.get("device"));
        assertEquals("best-fit", recorded.get("allocationPolicy"));
        assertEquals("verify", recorded.get("dioStrategy"));
        assertEquals("crc32c", recorded.get("checksum"));
        assertEquals(Boolean.FALSE, recorded.get("readOnly"));

        org.osgi.service.cm.Configuration written = configAdmin.createFactoryConfiguration(
                VolumeManager.VOLUME_FACTORY_PID, "?");
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", "o");
        p.put("device", "mem:other");
        p.put("allocationPolicy", "next-fit");
        p.put("suspendTimeoutMillis", 1234L);
        written.update(p);
        InFramework.await("o mounted from its configuration", () -> state("o").equals("MOUNTED"));
        assertEquals("o: allocates with next-fit", session("storage:alloc o"));
        assertEquals(1234L, manager.options("o").orElseThrow().suspendTimeout().toMillis());

        org.osgi.service.cm.Configuration bad = configAdmin.createFactoryConfiguration(
                VolumeManager.VOLUME_FACTORY_PID, "?");
        Hashtable<String, Object> q = new Hashtable<>();
        q.put("name", "bad");
        q.put("device", "mem:cfg2");
        q.put("commitIntervalMillis", "soon");
        bad.update(q);
        InFramework.await("bad listed", () -> row("bad").length > 0);
        assertEquals("FAILED: malformed configuration: commitIntervalMillis: soon (expected: a whole number of "
                + "milliseconds >= 1)", state("bad"));
        assertNull("nothing mounted for a malformed configuration",
                in().byProperty(Volume.class, Volume.PROP_NAME).get("bad"));
        bad.delete();
        InFramework.await("bad gone", () -> row("bad").length == 0);

        assertEquals("unmounted c", session("storage:umount c"));
        assertNull("umount removes the configuration", configurationOf("c"));
        written.delete();
        InFramework.await("o unmounted with its configuration", () -> row("o").length == 0);

        Bundle engine = in().bundle("storage.cow");
        MetaTypeInformation info = metatype.getMetaTypeInformation(engine);
        assertTrue(Arrays.asList(info.getFactoryPids()).contains(VolumeManager.VOLUME_FACTORY_PID));
        ObjectClassDefinition ocd = info.getObjectClassDefinition(VolumeManager.VOLUME_FACTORY_PID, null);
        List<String> ids = Stream.of(ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)).map(d -> d.getID())
                .collect(Collectors.toList());
        assertEquals(List.of("name", "device", "readOnly", "checksum", "allocationPolicy", "dioStrategy",
                "commitIntervalMillis", "suspendTimeoutMillis"), ids);
    }

    private Map<String, Object> configurationOf(String name) throws Exception {
        org.osgi.service.cm.Configuration[] found = configAdmin.listConfigurations("(&(service.factoryPid="
                + VolumeManager.VOLUME_FACTORY_PID + ")(name=" + name + "))");
        if (found == null) {
            return null;
        }
        assertEquals("one configuration per volume", 1, found.length);
        Map<String, Object> out = new HashMap<>();
        Collections.list(found[0].getProperties().keys()).forEach(k -> out.put(k, found[0].getProperties().get(k)));
        assertNotEquals(null, out.get("name"));
        return out;
    }
}
