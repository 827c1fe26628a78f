package org.cowstack.storage.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.cowstack.storage.api.InvalidViewException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.api.volume.MappedView;
import org.cowstack.storage.api.volume.Volume;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * File mappings (issue 19) across a swap of the {@code dax:} backend: views of device
 * memory taken before storage.dax is stopped, updated and started are invalid afterwards
 * (the device epoch changed) while the buffers taken from them stay safe to read; the
 * mappings themselves survive and give new views of the right bytes at the same device
 * offsets; a thread reading and storing through a clone's mapping meanwhile fails only
 * with storage exceptions and never hangs; nothing keeps the replaced revision; and what
 * was stored is on the image after a remount.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MappingSwapIT {
    private static final int BLOCK = 4096;
    private static final int MIB = 1 << 20;
    private static final int SIZE = 4 * MIB;
    /** A store through /b's mapping before the swap, msynced: two blocks, unaligned. */
    private static final long PRE_STORE = MIB + 3 * BLOCK + 17;
    private static final int PRE_LENGTH = 5000;
    /** What the thread stores during the swap: SLOTS stores of STORE bytes, each at SLOT_BASE + slot * SLOT_STRIDE + 100. */
    private static final long SLOT_BASE = 2L * MIB;
    private static final int SLOT_STRIDE = 4 * BLOCK;
    private static final int SLOTS = 16;
    private static final int STORE = 1000;
    /** The file offsets views are taken of: blocks /b still shares with /a, and the one the pre-swap store copied. */
    private static final long[] SHARED_OFFSETS = {0, 5 * BLOCK + 123, MIB + 77, 3L * MIB + 4095, SIZE - 1};
    /** No mapping call may take longer than this: a call that waits for the device fails after the suspend timeout. */
    private static final long NO_HANG_MS = 20_000;

    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor gogo;

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

    // ------------------------------------------------------------------ contents

    /** /a's byte at a file offset: differs between blocks and within them, so a misplaced block shows. */
    private static byte aByte(long offset) {
        return (byte) (offset * 13 + (offset >>> 12) * 101 + 7);
    }

    private static byte preByte(int i) {
        return (byte) (0xC3 ^ i * 5);
    }

    /** The bytes the thread stores into a slot with a sequence number. */
    private static byte[] slotBytes(int slot, long seq) {
        byte[] b = new byte[STORE];
        ByteBuffer.wrap(b).putInt(slot).putLong(seq);
        for (int i = 12; i < STORE; i++) {
            b[i] = (byte) (seq * 31 + slot * 7 + i);
        }
        return b;
    }

    private static long slotOffset(int slot) {
        return SLOT_BASE + (long) slot * SLOT_STRIDE + 100;
    }

    /** The slot store {@code bytes} hold: its sequence number, or -1 when they are no store of this slot. */
    private static long seqOf(int slot, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(0) != slot) {
            return -1;
        }
        long seq = b.getLong(4);
        return java.util.Arrays.equals(bytes, slotBytes(slot, seq)) ? seq : -1;
    }

    /**
     * The device offset of file offset {@code at} in a view of it. A view may begin
     * before the offset asked for: the mapping gives a kept view that covers it.
     */
    private static long deviceAt(MappedView v, long at) {
        assertTrue(v + " covers " + at, v.fileOffset() <= at && at < v.fileOffset() + v.length());
        assertTrue(v + " shows device memory", v.deviceOffset() >= 0);
        return v.deviceOffset() + (at - v.fileOffset());
    }

    /** The first offset where {@code got} (shown from file offset {@code at}) differs from {@code want}, or null. */
    private static String differs(String what, byte[] want, long at, ByteBuffer got) {
        for (int i = 0; got.hasRemaining(); i++) {
            byte g = got.get();
            byte w = want[(int) (at + i)];
            if (g != w) {
                return String.format("%s: byte at file offset %d is 0x%02x, expected 0x%02x", what, at + i, g & 0xff,
                        w & 0xff);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ the thread on /b's mapping

    /** Reads and stores through /b's mapping until stopped; records what failed and how long calls took. */
    private static final class Load extends Thread {
        final FileMapping b;
        final byte[] model; // /b below SLOT_BASE, which the thread never stores into
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLongArray issued = new AtomicLongArray(SLOTS);
        final AtomicLongArray acked = new AtomicLongArray(SLOTS);
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger stores = new AtomicInteger();
        final AtomicLong longestNanos = new AtomicLong();
        /** Failures by operation and message (numbers stripped), with counts. */
        final Map<String, Integer> failed = new TreeMap<>();
        final List<String> wrong = new CopyOnWriteArrayList<>();
        final List<Throwable> unexpected = new CopyOnWriteArrayList<>();

        Load(FileMapping b, byte[] model) {
            super("mappingswap load");
            this.b = b;
            this.model = model;
        }

        private synchronized void failed(String op, StorageException e) {
            failed.merge(op + " -> " + e.getClass().getSimpleName() + ": " + e.getMessage(), 1, Integer::sum);
        }

        synchronized Map<String, Integer> failures() {
            return new TreeMap<>(failed);
        }

        @Override
        public void run() {
            Random r = new Random(42);
            try {
                for (long seq = 1; !stop.get(); seq++) {
                    int slot = r.nextInt(SLOTS);
                    long start = System.nanoTime();
                    switch (r.nextInt(3)) {
                        case 0: { // a store into a slot
                            issued.set(slot, seq);
                            try {
                                b.write(slotOffset(slot), ByteBuffer.wrap(slotBytes(slot, seq)));
                                acked.set(slot, seq);
                                stores.incrementAndGet();
                            } catch (StorageException e) {
                                failed("write", e);
                            }
                            break;
                        }
                        case 1: { // a read of a slot: the last store acknowledged, or one that failed after it
                            ByteBuffer got = ByteBuffer.allocate(STORE);
                            long min = acked.get(slot);
                            long max = issued.get(slot);
                            try {
                                assertEquals(STORE, b.read(slotOffset(slot), got));
                                long seq0 = seqOf(slot, got.array());
                                boolean aBytes = min == 0 && differs("", aBytesAt(slotOffset(slot)), 0,
                                        got.flip()) == null;
                                if (!aBytes && (seq0 < min || seq0 > max)) {
                                    wrong.add("slot " + slot + " reads as store " + seq0 + ", expected " + min + ".."
                                            + max);
                                }
                                reads.incrementAndGet();
                            } catch (StorageException e) {
                                failed("read of a stored slot", e);
                            }
                            break;
                        }
                        default: { // a read of bytes still shared with /a (and the pre-swap store)
                            int n = 1 + r.nextInt(256 << 10);
                            long at = r.nextInt((int) SLOT_BASE - n);
                            ByteBuffer got = ByteBuffer.allocate(n);
                            try {
                                assertEquals(n, b.read(at, got));
                                String d = differs("read of " + at + "+" + n, model, at, got.flip());
                                if (d != null) {
                                    wrong.add(d);
                                }
                                reads.incrementAndGet();
                            } catch (StorageException e) {
                                failed("read of shared blocks", e);
                            }
                        }
                    }
                    longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                }
            } catch (Throwable e) {
                unexpected.add(e);
            }
        }
    }

    private static byte[] aBytesAt(long at) {
        byte[] b = new byte[STORE];
        for (int i = 0; i < STORE; i++) {
            b[i] = aByte(at + i);
        }
        return b;
    }

    // ------------------------------------------------------------------ the test

    /**
     * /a (4 MiB of known bytes) and its clone /b on a {@code dax:} volume, both mapped
     * read-write, views of several offsets taken and their buffers kept; storage.dax
     * stopped, updated and started while a thread reads and stores through /b's mapping.
     * Afterwards: every old view is invalid and says why, the kept buffers read without
     * harm, new views show /a's bytes and /b's stored bytes at the same device offsets as
     * before (shared blocks still shared), the replaced storage.dax revision is collected,
     * and after a remount both files hold what was stored and msynced.
     */
    @Test
    public void mappingsSurviveASwapOfTheDaxBackend() throws Exception {
        Path dir = Files.createTempDirectory("mappingswap");
        String uri = "dax:" + dir.resolve("swap.img");
        assertTrue(session("storage:mkfs --size 64m " + uri).startsWith("formatted " + uri));
        // A short suspend timeout: calls while storage.dax is away fail instead of waiting for it.
        session("storage:mount --suspend-timeout 250ms ms " + uri);
        Volume v = volume("ms");

        // 1. /a of known bytes, /b its clone, both durable.
        byte[] a = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            a[i] = aByte(i);
        }
        var rw = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileHandle fa = v.open("/a", rw);
        FileHandle fb = v.open("/b", rw);
        assertEquals(SIZE, fa.write(ByteBuffer.wrap(a), 0));
        fa.fsync();
        assertEquals(SIZE, fb.cloneRange(fa, 0, 0, SIZE));
        fb.fsync();

        // 2. Both mapped read-write; a store through /b's mapping copies its two blocks, msynced.
        FileMapping ma = fa.map(0, SIZE, MapMode.READ_WRITE);
        FileMapping mb = fb.map(0, SIZE, MapMode.READ_WRITE);
        fa.close();
        fb.close(); // a mapping lives on without its handle
        assertTrue("dax: mappings are views of device memory", ma.direct() && mb.direct());
        byte[] pre = new byte[PRE_LENGTH];
        for (int i = 0; i < PRE_LENGTH; i++) {
            pre[i] = preByte(i);
        }
        assertEquals(PRE_LENGTH, mb.write(PRE_STORE, ByteBuffer.wrap(pre)));
        mb.msync();
        byte[] b = a.clone(); // what /b holds, as the test knows it
        System.arraycopy(pre, 0, b, (int) PRE_STORE, PRE_LENGTH);

        List<MappedView> oldA = new ArrayList<>();
        List<MappedView> oldB = new ArrayList<>();
        List<Kept> kept = new ArrayList<>();
        Map<Long, Long> deviceOffsets = new TreeMap<>();
        for (long at : SHARED_OFFSETS) {
            MappedView va = ma.view(at);
            MappedView vb = mb.view(at);
            assertTrue("/a at " + at + " shows device memory: " + va, va.deviceOffset() >= 0);
            assertEquals("/b shares /a's block at " + at, deviceAt(va, at), deviceAt(vb, at));
            deviceOffsets.put(at, deviceAt(va, at));
            ByteBuffer ba = va.buffer();
            ByteBuffer bb = vb.buffer();
            assertNull(differs("/a's view at " + at, a, va.fileOffset(), ba.duplicate()));
            assertNull(differs("/b's view at " + at, b, vb.fileOffset(), bb.duplicate()));
            va.validate();
            vb.validate();
            oldA.add(va);
            oldB.add(vb);
            kept.add(new Kept("/a", va.fileOffset(), ba));
            kept.add(new Kept("/b", vb.fileOffset(), bb));
        }
        MappedView storedA = ma.view(PRE_STORE);
        MappedView storedB = mb.view(PRE_STORE);
        assertTrue(storedB.deviceOffset() >= 0);
        assertNotEquals("the store moved /b's block", deviceAt(storedA, PRE_STORE), deviceAt(storedB, PRE_STORE));
        assertNull(differs("/b's stored block", b, storedB.fileOffset(), storedB.buffer()));
        oldA.add(storedA);
        oldB.add(storedB);
        kept.add(new Kept("/a", storedA.fileOffset(), storedA.buffer()));
        kept.add(new Kept("/b", storedB.fileOffset(), storedB.buffer()));
        System.out.println("MappingSwapIT views before the swap: " + oldA + " " + oldB);

        // 3. storage.dax stopped, updated and started while a thread reads and stores through /b's mapping.
        Load load = new Load(mb, b);
        load.start();
        InFramework.await("the load runs", () -> load.stores.get() > 20 && load.reads.get() > 20
                || !load.unexpected.isEmpty());
        for (MappedView va : oldA) {
            assertTrue("/a's view is valid until the swap: " + va, va.isValid());
        }
        long mapsBefore = imageMaps(dir);
        Bundle dax = in().bundle("storage.dax");
        WeakReference<ClassLoader> replaced = Revisions.loaderOf(dax);
        int readsBefore = load.reads.get();
        int storesBefore = load.stores.get();
        long swapStart = System.nanoTime();
        dax.stop();
        Thread.sleep(1000); // longer than the suspend timeout: calls meanwhile fail
        String whileAway = session("storage:volumes");
        dax.update();
        dax.start();
        long swapMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - swapStart);
        InFramework.await("ms mounted again", () -> session("storage:volumes").lines()
                .anyMatch(l -> l.startsWith("ms ") && l.contains("MOUNTED")));
        long mapsAfterSwap = imageMaps(dir);
        int storesAtSwap = load.stores.get();
        int readsAtSwap = load.reads.get();
        InFramework.await("reads and stores go on after the swap", 30_000,
                () -> load.stores.get() > storesAtSwap + 20 && load.reads.get() > readsAtSwap + 20
                        || !load.unexpected.isEmpty());
        load.stop.set(true);
        load.join(60_000);
        assertFalse("the load thread finished", load.isAlive());
        Map<String, Integer> failures = load.failures();
        System.out.println("MappingSwapIT swap: stop-update-start " + swapMs + " ms; storage:volumes while away:\n"
                + whileAway + "\nload: " + load.reads.get() + " reads, " + load.stores.get() + " stores ("
                + (load.reads.get() - readsBefore) + " and " + (load.stores.get() - storesBefore)
                + " from the swap on), longest call " + load.longestNanos.get() / 1_000_000 + " ms; failed calls:");
        failures.forEach((what, n) -> System.out.println("  " + n + " x " + what));
        assertEquals("only storage exceptions fail a call", List.of(), load.unexpected);
        // The device was away four times the suspend timeout: calls meanwhile failed, each saying why.
        assertFalse("some calls failed while the device was away", failures.isEmpty());
        for (String what : failures.keySet()) {
            assertTrue(what, what.endsWith(" -> SuspendedException: volume ms is suspended, waiting for device "
                    + "backend dax:"));
        }
        assertEquals("no read showed wrong bytes", List.of(), load.wrong.stream().limit(10).toList());
        assertTrue("no call hung: longest " + load.longestNanos.get() / 1_000_000 + " ms",
                load.longestNanos.get() < TimeUnit.MILLISECONDS.toNanos(NO_HANG_MS));
        // What the slots hold now: the last acknowledged store, or a failed one after it.
        for (int slot = 0; slot < SLOTS; slot++) {
            ByteBuffer got = ByteBuffer.allocate(STORE);
            assertEquals(STORE, mb.read(slotOffset(slot), got));
            long seq = seqOf(slot, got.array());
            if (load.acked.get(slot) == 0 && seq == -1) {
                assertArrayEquals("slot " + slot + " never stored", aBytesAt(slotOffset(slot)), got.array());
            } else {
                assertTrue("slot " + slot + " holds store " + seq + ", expected " + load.acked.get(slot) + ".."
                        + load.issued.get(slot), seq >= load.acked.get(slot) && seq <= load.issued.get(slot));
                System.arraycopy(got.array(), 0, b, (int) slotOffset(slot), STORE);
            }
        }
        mb.msync();

        // 4. Every old view is invalid, its kept buffer still safe to read; new views show the right bytes.
        for (MappedView old : oldA) {
            assertFalse("/a's old view is invalid after the swap: " + old, old.isValid());
            try {
                old.validate();
                fail("validate() of " + old);
            } catch (InvalidViewException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("the volume's device was replaced"));
            }
            try {
                old.buffer();
                fail("buffer() of " + old);
            } catch (InvalidViewException expected) {
                // as validate()
            }
        }
        Map<String, Integer> whyB = new TreeMap<>();
        for (MappedView old : oldB) {
            assertFalse("/b's old view is invalid after the swap: " + old, old.isValid());
            try {
                old.validate();
                fail("validate() of " + old);
            } catch (InvalidViewException expected) {
                whyB.merge(expected.getMessage().replaceAll("offset \\d+", "offset N"), 1, Integer::sum);
            }
        }
        System.out.println("MappingSwapIT: /b's old views say " + whyB);
        System.out.println("MappingSwapIT: kept buffers after the swap: " + readKept(kept, a, b));

        for (long at : SHARED_OFFSETS) {
            MappedView va = ma.view(at);
            MappedView vb = mb.view(at);
            assertTrue("a new view of /a at " + at + " is valid: " + va, va.isValid());
            assertNull(differs("/a's new view at " + at, a, va.fileOffset(), va.buffer()));
            assertNull(differs("/b's new view at " + at, b, vb.fileOffset(), vb.buffer()));
            va.validate();
            vb.validate();
            assertEquals("/a's block at " + at + " did not move", (long) deviceOffsets.get(at), deviceAt(va, at));
            if (at < SLOT_BASE || at >= SLOT_BASE + (long) SLOTS * SLOT_STRIDE) {
                assertEquals("/b still shares /a's block at " + at, deviceAt(va, at), deviceAt(vb, at));
            }
        }
        MappedView nb = mb.view(PRE_STORE);
        assertEquals("/b's stored block did not move again", deviceAt(storedB, PRE_STORE), deviceAt(nb, PRE_STORE));
        assertNull(differs("/b's stored block after the swap", b, nb.fileOffset(), nb.buffer()));
        for (int slot = 0; slot < SLOTS; slot++) {
            MappedView vs = mb.view(slotOffset(slot));
            assertNull(differs("/b's slot " + slot, b, vs.fileOffset(), vs.buffer()));
            vs.validate();
        }
        ByteBuffer whole = ByteBuffer.allocate(SIZE);
        assertEquals(SIZE, ma.read(0, whole));
        assertArrayEquals("/a through its mapping", a, whole.array());
        assertEquals(SIZE, mb.read(0, whole.clear()));
        assertArrayEquals("/b through its mapping", b, whole.array());

        // 5. Unmapped, unmounted: nothing keeps the replaced storage.dax revision, even with its buffers kept.
        ma.close();
        mb.close();
        session("storage:umount ms");
        Revisions.refresh(context);
        Revisions.assertCollected("storage.dax replaced under mappings", List.of(replaced));
        System.out.println("MappingSwapIT leaks: the replaced storage.dax class loader was collected; kept buffers "
                + "after the unmount: " + readKept(kept, a, b) + "; mappings of the image (/proc/self/maps): "
                + mapsBefore + " before the swap, " + mapsAfterSwap + " after it, " + imageMaps(dir)
                + " after the unmount (tiles views were taken of are left to the collector)");

        // 6. Remounted: /a as written, /b with every store msynced before and after the swap.
        session("storage:mount ms " + uri);
        Volume again = volume("ms");
        for (String path : List.of("/a", "/b")) {
            try (FileHandle f = again.open(path, EnumSet.of(StandardOpenOption.READ))) {
                ByteBuffer back = ByteBuffer.allocate(SIZE);
                assertEquals(path + " reads whole", SIZE, f.read(back, 0));
                assertArrayEquals(path + " after a remount", path.equals("/a") ? a : b, back.array());
            }
        }
        session("storage:umount ms");
        Files.deleteIfExists(dir.resolve("swap.img"));
        Files.deleteIfExists(dir);
    }

    /** Lines of /proc/self/maps that map a file under {@code dir}. */
    private static long imageMaps(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(l -> l.contains(dir.toString())).count();
        }
    }

    /** A buffer taken from a view before the swap, kept past it. */
    private record Kept(String path, long at, ByteBuffer buffer) {
    }

    /** Reads every kept buffer to the end; says how many still show the bytes their file holds there. */
    private static String readKept(List<Kept> kept, byte[] a, byte[] b) {
        int same = 0;
        long bytes = 0;
        for (Kept k : kept) {
            ByteBuffer d = k.buffer().duplicate();
            bytes += d.remaining();
            if (differs(k.path(), k.path().equals("/a") ? a : b, k.at(), d) == null) {
                same++;
            }
        }
        return kept.size() + " buffers (" + bytes + " bytes) read, " + same + " show their file's current bytes";
    }
}
