package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.api.volume.MappedView;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stores through mappings where things go wrong, on devices without direct access
 * (views of the cache): a device write failing during the copy-on-write fault
 * (xfstests generic/279-283's intent), a dedupe racing stores into the same range
 * (generic/630's), and power cuts at every device write of a run of stores and msyncs.
 */
class MappingFaultTest {
    private static final int BS = 4096;
    private static final long SIZE = 32L << 20;
    private MemDeviceProvider mem;
    private Volumes plain;
    private Volumes faulty;
    private Random random;
    private long seed;

    @BeforeEach
    void setUp() {
        mem = new MemDeviceProvider();
        plain = new Volumes(mem);
        faulty = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
        seed = Seeds.seed("MappingFaultTest");
        random = new Random(seed);
    }

    @AfterEach
    void tearDown() throws IOException {
        mem.deactivate();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static List<ExtentMapping> fiemap(CowVolume v, String path) throws IOException {
        try (FileHandle f = v.open(path, Volumes.RW)) {
            return f.extents(0, f.size());
        }
    }

    private static void reflinked(CowVolume v, byte[] data) throws IOException {
        Volumes.write(v, "/a", 0, data);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            b.cloneRange(a, 0, 0, 0);
        }
        v.sync();
    }

    @Test
    void viewsOfTheCacheShowTheBytesAndAStoreCopiesTheSharedBlock() throws Exception {
        URI disk = URI.create("mem:mapcache");
        CowVolume v = plain.fresh(disk, SIZE);
        byte[] data = randomBytes(16 * BS);
        reflinked(v, data);
        try (FileHandle b = v.open("/b", Volumes.RW); FileMapping m = b.map(0, 16 * BS, MapMode.READ_WRITE)) {
            assertFalse(m.direct(), "mem: has no direct access: views of the cache");
            MappedView view = m.view(3 * BS + 10);
            assertEquals(-1, view.deviceOffset());
            assertEquals(BS - 10, view.length(), "one block from the offset");
            byte[] got = new byte[view.length()];
            view.buffer().get(got);
            view.validate();
            assertArrayEquals(Arrays.copyOfRange(data, 3 * BS + 10, 4 * BS), got);
            m.write(3 * BS + 100, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertFalse(view.isValid());
            byte[] expect = data.clone();
            expect[3 * BS + 100] = 1;
            expect[3 * BS + 101] = 2;
            expect[3 * BS + 102] = 3;
            assertArrayEquals(expect, Volumes.readAll(v, "/b"));
            assertArrayEquals(data, Volumes.readAll(v, "/a"));
            m.msync();
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void aDeviceWriteFailingDuringTheCopyLeavesBothFilesAsTheyWere() throws Exception {
        URI disk = URI.create("mem:mapfail");
        plain.mkfs(disk, SIZE, FormatOptions.defaults());
        CowVolume v = faulty.mount(URI.create("faulty:" + disk));
        byte[] data = randomBytes(8 * BS);
        reflinked(v, data);
        List<ExtentMapping> a = fiemap(v, "/a");
        List<ExtentMapping> b = fiemap(v, "/b");
        FaultControl control = (FaultControl) v.boundDevice();
        try (FileHandle f = v.open("/b", Volumes.RW); FileMapping m = f.map(0, 8 * BS, MapMode.READ_WRITE)) {
            control.failWrite(1);
            assertThrows(MediaErrorException.class, () -> m.write(3 * BS + 5, ByteBuffer.wrap(randomBytes(100))));
            control.clearFaults();
            assertArrayEquals(data, Volumes.readAll(v, "/a"));
            assertArrayEquals(data, Volumes.readAll(v, "/b"));
            assertEquals(a, fiemap(v, "/a"));
            assertEquals(b, fiemap(v, "/b"));
            byte[] ok = randomBytes(100);
            m.write(3 * BS + 5, ByteBuffer.wrap(ok)); // the device works again: so does the store
            byte[] expect = data.clone();
            System.arraycopy(ok, 0, expect, 3 * BS + 5, ok.length);
            assertArrayEquals(expect, Volumes.readAll(v, "/b"));
            m.msync();
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void aStoreRacingADedupeOfTheSameRangeChangesNothingButWhatItStores() throws Exception {
        CowVolume v = plain.fresh(URI.create("mem:mapdedupe"), SIZE);
        int n = 4 * BS;
        byte[] original = randomBytes(n);
        byte[] other = randomBytes(n);
        Volumes.write(v, "/a", 0, original);
        Volumes.write(v, "/b", 0, original); // equal, not shared
        v.sync();
        AtomicReference<byte[]> last = new AtomicReference<>(original);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new ArrayList<>();
        int[] dedupes = new int[2];
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW);
                FileMapping m = b.map(0, n, MapMode.READ_WRITE)) {
            Thread deduper = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        DedupeResult r = b.dedupeRange(a, 0, 0, n);
                        synchronized (dedupes) {
                            dedupes[r.differs() ? 1 : 0]++;
                        }
                        byte[] now = Volumes.readAll(v, "/a");
                        if (!Arrays.equals(original, now)) {
                            throw new AssertionError("the dedupe source changed");
                        }
                    }
                } catch (Throwable t) {
                    synchronized (failures) {
                        failures.add(t);
                    }
                }
            });
            deduper.start();
            for (int i = 0; i < 200; i++) {
                byte[] value = (i & 1) == 0 ? other : original;
                m.write(0, ByteBuffer.wrap(value));
                last.set(value);
                // let the dedupe run over this state (or race the next store) before going on
                int seen;
                synchronized (dedupes) {
                    seen = dedupes[0] + dedupes[1];
                }
                for (long until = System.nanoTime() + 50_000_000L; System.nanoTime() < until; ) {
                    synchronized (dedupes) {
                        if (dedupes[0] + dedupes[1] > seen + (i % 3)) {
                            break;
                        }
                    }
                    Thread.onSpinWait();
                }
                byte[] b2 = new byte[n];
                assertEquals(n, m.read(0, ByteBuffer.wrap(b2)));
                assertArrayEquals(value, b2, "store " + i + " (seed " + seed + ")");
            }
            stop.set(true);
            deduper.join(60_000);
            assertFalse(deduper.isAlive());
        }
        assertEquals(List.of(), failures);
        System.out.printf("MappingFaultTest: 200 stores raced %d dedupes that shared and %d that found the ranges "
                + "different%n", dedupes[0], dedupes[1]);
        assertTrue(dedupes[0] >= 20, "the dedupes shared the ranges often: " + dedupes[0]);
        assertArrayEquals(last.get(), Volumes.readAll(v, "/b"));
        assertArrayEquals(original, Volumes.readAll(v, "/a"));
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void aPowerCutAtAnyWriteKeepsEveryMsyncedStore() throws Exception {
        byte[] data = randomBytes(8 * BS);
        // The run: three stores into the clone, msync after the first two.
        long[][] stores = {{BS + 100, 3000}, {5 * BS, 2 * BS}, {0, 8 * BS}};
        byte[][] values = {randomBytes(3000), randomBytes(2 * BS), randomBytes(8 * BS)};
        List<byte[]> states = new ArrayList<>(); // after each store
        byte[] now = data.clone();
        for (int i = 0; i < stores.length; i++) {
            System.arraycopy(values[i], 0, now, (int) stores[i][0], values[i].length);
            states.add(now.clone());
        }
        long writes = Long.MAX_VALUE;
        int cuts = 0;
        for (long k = 1; k <= writes; k++) {
            URI disk = URI.create("mem:mapcut" + k);
            plain.mkfs(disk, SIZE, FormatOptions.defaults());
            CowVolume v = faulty.mount(URI.create("faulty:" + disk));
            reflinked(v, data);
            FaultControl c = (FaultControl) v.boundDevice();
            long before = c.writes();
            c.seed(seed + k);
            c.powerCutAtWrite(k);
            int synced = -1; // the last store whose msync returned
            int reached = -1;
            try (FileHandle b = v.open("/b", Volumes.RW); FileMapping m = b.map(0, 8 * BS, MapMode.READ_WRITE)) {
                for (int i = 0; i < stores.length; i++) {
                    m.write(stores[i][0], ByteBuffer.wrap(values[i]));
                    reached = i;
                    if (i < 2) {
                        m.msync();
                        synced = i;
                    }
                }
            } catch (IOException cut) {
                // the power failed under a store or an msync
            }
            if (!c.poweredOff()) {
                writes = c.writes() - before; // the whole run fit before write k: every point was cut
                v.abandon();
                break;
            }
            v.abandon();
            cuts++;
            CowVolume after = plain.mount(disk);
            String at = "cut at write " + k + " (seed " + seed + ")";
            assertEquals(List.of(), after.audit(), at);
            assertEquals(List.of(), after.check().problems(), at);
            assertArrayEquals(data, Volumes.readAll(after, "/a"), at + ": the clone source");
            byte[] b = Volumes.readAll(after, "/b");
            boolean allowed = synced < 0 && Arrays.equals(data, b);
            for (int i = Math.max(0, synced); i <= reached + 1 && i < states.size(); i++) {
                allowed |= Arrays.equals(states.get(i), b);
            }
            assertTrue(allowed, at + ": /b holds the last msynced state or a later one (msynced " + synced
                    + ", reached " + reached + ")");
            after.unmount();
            mem.deactivate();
            mem = new MemDeviceProvider();
            MemDeviceProvider m2 = mem;
            plain = new Volumes(m2);
            faulty = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? m2 : null));
        }
        System.out.printf("MappingFaultTest: power cut at each of %d device writes of stores and msyncs%n", cuts);
        assertTrue(cuts >= 5, "the run writes enough to cut it: " + cuts);
    }

    @Test
    void viewsMadeByManyThreadsAtOnceAreKeptOnceAndUnpinnedAtClose() throws Exception {
        CowVolume v = plain.fresh(URI.create("mem:mapthreads"), SIZE);
        byte[] data = randomBytes(256 * BS);
        reflinked(v, data);
        try (FileHandle b = v.open("/b", Volumes.RW)) {
            FileMapping m = b.map(0, 256 * BS, MapMode.READ);
            List<Throwable> failures = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Thread th = new Thread(() -> {
                    try {
                        for (int round = 0; round < 4; round++) {
                            for (int k = 0; k < 256; k++) {
                                MappedView view = m.view((long) k * BS);
                                byte[] got = new byte[view.length()];
                                view.buffer().get(got);
                                view.validate();
                                if (!Arrays.equals(Arrays.copyOfRange(data, k * BS, (k + 1) * BS), got)) {
                                    throw new AssertionError("block " + k);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join(60_000);
            }
            assertEquals(List.of(), failures);
            assertEquals(256, v.mappings.liveViews(), "one view kept per block, whichever thread made it");
            m.close();
            assertEquals(0, v.mappings.liveViews());
            assertEquals(0, v.cache().pinned(), "closing unpinned every page");
        }
        v.unmount();
    }

    @Test
    void writesElsewhereNeverKeepAViewFromBeingMade() throws Exception {
        CowVolume v = plain.fresh(URI.create("mem:mapbusy"), SIZE);
        byte[] data = randomBytes(64 * BS);
        Volumes.write(v, "/f", 0, data);
        v.sync();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new ArrayList<>();
        Thread writer = new Thread(() -> {
            try (FileHandle f = v.open("/f", Volumes.RW); FileHandle g = v.open("/g", Volumes.RW)) {
                ByteBuffer one = ByteBuffer.allocate(BS);
                for (long i = 0; !stop.get(); i++) {
                    f.write(one.clear(), (64 + i % 512) * BS); // the same file, past the mapped range
                    g.writeDirect(one.clear(), (i % 512) * BS); // another file: blocks freed and allocated
                    if (i % 64 == 0) {
                        v.sync();
                    }
                }
            } catch (Throwable e) {
                synchronized (failures) {
                    failures.add(e);
                }
            }
        });
        writer.start();
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            for (int round = 0; round < 20; round++) {
                try (FileMapping m = f.map(0, 64 * BS, MapMode.READ)) {
                    byte[] got = new byte[64 * BS];
                    assertEquals(64 * BS, m.read(0, ByteBuffer.wrap(got)));
                    assertArrayEquals(data, got);
                }
            }
        } finally {
            stop.set(true);
            writer.join(60_000);
        }
        assertEquals(List.of(), failures);
        v.unmount();
    }
}
