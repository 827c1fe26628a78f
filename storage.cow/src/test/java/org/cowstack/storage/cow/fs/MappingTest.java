package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.InvalidViewException;
import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.api.volume.MappedView;
import org.cowstack.storage.cow.scrub.MediaErrorResponse;
import org.cowstack.storage.dax.DaxDeviceProvider;
import org.cowstack.storage.dax.faults.Poisoning;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File mappings on {@code dax:} (DESIGN P4), after the intent of xfstests' mmap tests on
 * reflinked files: views of a shared block are the same device memory; a store through
 * one file's mapping copies the block for that file only; views are invalidated exactly
 * where their file changes; stores fail cleanly; msync makes stores durable.
 */
class MappingTest {
    private static final int BS = 4096;
    private final DaxDeviceProvider dax = new DaxDeviceProvider();
    private final Volumes volumes = new Volumes(dax);
    private Random random;

    @TempDir
    Path dir;

    @BeforeEach
    void seed() {
        random = new Random(Seeds.seed("MappingTest"));
    }

    @AfterEach
    void stop() throws IOException {
        dax.deactivate();
    }

    private URI image() {
        return URI.create("dax:" + dir.resolve("pmem.img"));
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** A file /a of {@code data}, cloned whole to /b, committed. */
    private void reflinked(CowVolume v, byte[] data) throws IOException {
        Volumes.write(v, "/a", 0, data);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            b.cloneRange(a, 0, 0, 0);
        }
        v.sync();
    }

    private static byte[] bytesOf(MappedView view) throws IOException {
        ByteBuffer b = view.buffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        view.validate();
        return out;
    }

    private static byte[] mapped(FileMapping m, long offset, int n) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(n);
        int got = m.read(offset, dst);
        return Arrays.copyOf(dst.array(), Math.max(got, 0));
    }

    private static List<ExtentMapping> fiemap(CowVolume v, String path) throws IOException {
        try (FileHandle f = v.open(path, Volumes.RW)) {
            return f.extents(0, f.size());
        }
    }

    /** Per file block, its physical block: fiemap without its flags. */
    private static List<Long> blocks(List<ExtentMapping> extents) {
        List<Long> out = new java.util.ArrayList<>();
        for (ExtentMapping e : extents) {
            for (long k = 0; k < e.length() / BS; k++) {
                out.add(e.physical() / BS + k);
            }
        }
        return out;
    }

    private static byte[] checksums(CowVolume v, long block, int n) throws IOException {
        return v.core.treeLock.reading(() -> v.core.checksums.lookup(block, n));
    }

    @Test
    void reflinkedFilesShowOneCopyAndAStoreCopiesTheBlockForItsFileOnly() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        byte[] data = randomBytes(16 * BS);
        reflinked(v, data);
        List<ExtentMapping> aBefore = fiemap(v, "/a");
        long aPhysical = aBefore.get(0).physical() / BS;
        byte[] aSums = checksums(v, aPhysical, 16);
        byte[] stored = new byte[200];
        Arrays.fill(stored, (byte) 0x5a);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW);
                FileMapping ma = a.map(0, 16 * BS, MapMode.READ_WRITE);
                FileMapping mb = b.map(0, 16 * BS, MapMode.READ_WRITE)) {
            assertTrue(ma.direct() && mb.direct(), "dax: views are device memory");
            for (int k = 0; k < 16; k++) {
                MappedView va = ma.view(k * BS);
                MappedView vb = mb.view(k * BS);
                long expected = (aPhysical + k) * BS;
                assertEquals(expected, va.deviceOffset() + (k * BS - va.fileOffset()), "A's view of block " + k);
                assertEquals(expected, vb.deviceOffset() + (k * BS - vb.fileOffset()), "B's view of block " + k);
            }
            MappedView a5 = ma.view(5 * BS);
            MappedView b5 = mb.view(5 * BS);
            assertArrayEquals(data, bytesOf(ma.view(0)), "one view over the whole shared run");

            mb.write(5 * BS + 100, ByteBuffer.wrap(stored));

            assertFalse(b5.isValid(), "B's view of the copied block is invalidated by B's fault");
            InvalidViewException gone = assertThrows(InvalidViewException.class, b5::buffer);
            System.out.println("MappingTest: " + gone.getMessage());
            assertTrue(a5.isValid(), "A's view is untouched by B's store");
            assertArrayEquals(data, bytesOf(a5), "A's memory is untouched");
            MappedView nb5 = mb.view(5 * BS);
            assertNotEquals((aPhysical + 5) * BS, nb5.deviceOffset() + (5 * BS - nb5.fileOffset()),
                    "B's block 5 is a new one");
            byte[] expectB = data.clone();
            System.arraycopy(stored, 0, expectB, 5 * BS + 100, stored.length);
            assertArrayEquals(expectB, mapped(mb, 0, 16 * BS), "B through its mapping");
            assertArrayEquals(expectB, Volumes.readAll(v, "/b"), "B through read()");
            assertArrayEquals(data, mapped(ma, 0, 16 * BS));
            assertEquals(blocks(aBefore), blocks(fiemap(v, "/a")),
                    "A's blocks unchanged (block 5 is no longer shared: fiemap's flag says so, as on XFS)");
            assertArrayEquals(aSums, checksums(v, aPhysical, 16), "A's checksums unchanged");
            mb.msync();
        }
        v.unmount();
        CowVolume again = volumes.mount(image());
        assertArrayEquals(data, Volumes.readAll(again, "/a"));
        byte[] expectB = data.clone();
        System.arraycopy(stored, 0, expectB, 5 * BS + 100, stored.length);
        assertArrayEquals(expectB, Volumes.readAll(again, "/b"));
        assertEquals(List.of(), again.audit());
        assertEquals(List.of(), again.check().problems());
        again.unmount();
    }

    @Test
    void viewsAreInvalidatedExactlyWhereTheirFileChanges() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        byte[] data = randomBytes(32 * BS);
        reflinked(v, data);
        try (FileHandle b = v.open("/b", Volumes.RW); FileHandle a = v.open("/a", Volumes.RW);
                FileMapping mb = b.map(0, 32 * BS, MapMode.READ)) {
            // views of single blocks, so that each change can be seen to hit exactly its own
            MappedView[] views = new MappedView[32];
            b.write(ByteBuffer.wrap(new byte[] {1}), 31L * BS); // cut the run: a COW of the last block
            v.sync();
            for (int k = 0; k < 32; k++) {
                views[k] = mb.view(k * BS);
            }
            b.write(ByteBuffer.wrap(new byte[] {7}), 3L * BS + 9); // a buffered write
            assertFalse(mb.view(3 * BS).deviceOffset() < 0, "a view of written data");
            b.fallocate(FallocateMode.PUNCH_HOLE, 20L * BS, BS);
            MappedView hole = mb.view(20 * BS);
            assertEquals(-1, hole.deviceOffset(), "a hole is shown as zeros");
            assertArrayEquals(new byte[BS], bytesOf(hole));
            b.truncate(30L * BS);
            assertThrows(InvalidArgumentException.class, () -> mb.view(30 * BS), "past the end: the SIGBUS");
            for (int k : new int[] {0, 1, 2, 4, 19, 21, 29}) {
                MappedView now = mb.view(k * BS);
                assertTrue(now.fileOffset() <= k * BS && now.fileOffset() + now.length() > k * BS);
            }
            assertFalse(views[20].isValid(), "punched");
            assertFalse(views[30].isValid(), "truncated");
            assertFalse(views[31].isValid(), "truncated");
            assertTrue(views[21].isValid() || views[21].fileOffset() < 20 * BS, "not punched: " + views[21]);
            // a clone over B's blocks 8..9 from A's 0..1
            b.cloneRange(a, 0, 8L * BS, 2L * BS);
            assertArrayEquals(Arrays.copyOfRange(data, 0, 2 * BS), mapped(mb, 8 * BS, 2 * BS));
            // unmount: every view and mapping ends
            MappedView last = mb.view(0);
            v.unmount();
            assertFalse(last.isValid());
            assertThrows(InvalidViewException.class, last::validate);
            assertThrows(StorageException.class, () -> mb.view(0));
        }
    }

    @Test
    void aBufferedWriteAfterAViewIsSeenThroughTheNextView() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        byte[] data = randomBytes(4 * BS);
        Volumes.write(v, "/f", 0, data);
        v.sync();
        try (FileHandle f = v.open("/f", Volumes.RW); FileMapping m = f.map(0, 4 * BS, MapMode.READ)) {
            MappedView before = m.view(BS);
            f.write(ByteBuffer.wrap(new byte[] {42}), BS + 10); // stays in the page cache
            assertFalse(before.isValid(), "the file changed under the view");
            MappedView after = m.view(BS);
            assertEquals(42, after.buffer().get(10), "the next view shows it (written back first)");
            assertEquals(42, mapped(m, BS + 10, 1)[0]);
        }
        v.unmount();
    }

    @Test
    void storesAcrossMixedExtentsAndPartialBlocks() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        // blocks: 0-1 written, 2-3 preallocated, 4-5 a hole, 6-7 written and shared with /src, then NOCOW /n
        byte[] written = randomBytes(2 * BS);
        byte[] shared = randomBytes(2 * BS);
        Volumes.write(v, "/src", 0, shared);
        byte[] model = new byte[8 * BS];
        try (FileHandle f = v.open("/f", Volumes.RW); FileHandle src = v.open("/src", Volumes.RW)) {
            f.write(ByteBuffer.wrap(written), 0);
            f.fallocate(FallocateMode.ALLOCATE, 2L * BS, 2L * BS);
            f.cloneRange(src, 0, 6L * BS, 2L * BS);
        }
        v.sync();
        System.arraycopy(written, 0, model, 0, written.length);
        System.arraycopy(shared, 0, model, 6 * BS, shared.length);
        long[][] stores = {{BS + 1000, 2 * BS}, {3 * BS + 5, 2 * BS}, {5 * BS + 17, 2 * BS}, {100, 8 * BS - 200}, {
                7 * BS + 3, 10}};
        try (FileHandle f = v.open("/f", Volumes.RW); FileMapping m = f.map(0, 8 * BS, MapMode.READ_WRITE)) {
            for (long[] s : stores) {
                byte[] b = randomBytes((int) s[1]);
                m.write(s[0], ByteBuffer.wrap(b));
                System.arraycopy(b, 0, model, (int) s[0], b.length);
                assertArrayEquals(model, mapped(m, 0, 8 * BS), "after a store at " + s[0] + "+" + s[1]);
                assertArrayEquals(model, Volumes.readAll(v, "/f"));
                assertArrayEquals(shared, Volumes.readAll(v, "/src"), "the clone source is untouched");
            }
            assertThrows(InvalidArgumentException.class, () -> m.write(8 * BS - 1, ByteBuffer.allocate(2)),
                    "a store past the end of the file");
            assertEquals(8L * BS, f.size(), "a mapping never changes the size");
            m.msync();
        }
        try (FileHandle f = v.open("/f", Volumes.RW); FileMapping r = f.map(0, BS, MapMode.READ)) {
            assertThrows(ReadOnlyException.class, () -> r.write(0, ByteBuffer.allocate(1)));
        }
        v.unmount();
        CowVolume again = volumes.mount(image());
        assertArrayEquals(model, Volumes.readAll(again, "/f"));
        assertArrayEquals(shared, Volumes.readAll(again, "/src"));
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    @Test
    void aNocowFileTakesStoresInPlaceAndSharedBlocksStillCopy() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        byte[] data = randomBytes(4 * BS);
        try (FileHandle n = v.open("/n", Volumes.RW)) {
            n.setFlags(java.util.Set.of(org.cowstack.storage.api.volume.FileFlag.NOCOW), java.util.Set.of());
            n.write(ByteBuffer.wrap(data), 0);
        }
        v.sync();
        long before = fiemap(v, "/n").get(0).physical() / BS;
        try (FileHandle n = v.open("/n", Volumes.RW); FileMapping m = n.map(0, 4 * BS, MapMode.READ_WRITE)) {
            m.write(BS + 7, ByteBuffer.wrap(new byte[] {9, 9, 9}));
            assertEquals(before * BS, fiemap(v, "/n").get(0).physical(), "in place");
            try (FileHandle c = v.open("/c", Volumes.RW)) {
                c.cloneRange(n, 0, 0, 0);
            }
            m.write(2 * BS, ByteBuffer.wrap(new byte[] {1}));
            assertNotEquals((before + 2) * BS, v.open("/n", Volumes.RW).extents(2L * BS, 1).get(0).physical(),
                    "a shared block copies even in a NOCOW file");
            m.msync();
        }
        byte[] expect = data.clone();
        expect[BS + 7] = expect[BS + 8] = expect[BS + 9] = 9;
        byte[] clone = expect.clone();
        expect[2 * BS] = 1;
        assertArrayEquals(expect, Volumes.readAll(v, "/n"));
        assertArrayEquals(clone, Volumes.readAll(v, "/c"));
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void aFaultOnAFullVolumeFailsWithNoSpaceAndChangesNothing() throws Exception {
        CowVolume v = volumes.fresh(image(), 16L << 20);
        byte[] data = randomBytes(8 * BS);
        reflinked(v, data);
        try (FileHandle fill = v.open("/fill", Volumes.RW)) {
            ByteBuffer chunk = ByteBuffer.allocate(64 * BS);
            long at = 0;
            while (true) {
                try {
                    fill.write(chunk.clear(), at);
                    at += chunk.capacity();
                } catch (NoSpaceException full) {
                    break;
                }
            }
            ByteBuffer one = ByteBuffer.allocate(BS);
            while (true) {
                try {
                    fill.write(one.clear(), at);
                    at += BS;
                } catch (NoSpaceException full) {
                    break;
                }
            }
        }
        v.sync();
        List<ExtentMapping> a = fiemap(v, "/a");
        List<ExtentMapping> b = fiemap(v, "/b");
        try (FileHandle f = v.open("/b", Volumes.RW); FileMapping m = f.map(0, 8 * BS, MapMode.READ_WRITE)) {
            MappedView view = m.view(0);
            assertThrows(NoSpaceException.class, () -> m.write(3 * BS, ByteBuffer.allocate(10)));
            assertTrue(view.isValid(), "nothing changed, so the view stands");
        }
        assertArrayEquals(data, Volumes.readAll(v, "/a"));
        assertArrayEquals(data, Volumes.readAll(v, "/b"));
        assertEquals(a, fiemap(v, "/a"));
        assertEquals(b, fiemap(v, "/b"));
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void msyncedStoresSurviveACrashAndTheVolumeChecksClean() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        byte[] data = randomBytes(8 * BS);
        reflinked(v, data);
        byte[] expect = data.clone();
        try (FileHandle f = v.open("/b", Volumes.RW); FileMapping m = f.map(0, 8 * BS, MapMode.READ_WRITE)) {
            byte[] s1 = randomBytes(3000);
            m.write(BS + 500, ByteBuffer.wrap(s1));
            System.arraycopy(s1, 0, expect, BS + 500, s1.length);
            m.msync(BS, 2 * BS);
            m.write(5 * BS, ByteBuffer.wrap(randomBytes(BS))); // never msynced
        }
        v.abandon(); // the process dies: what the last commit holds stands
        CowVolume again = volumes.mount(image());
        byte[] b = Volumes.readAll(again, "/b");
        assertArrayEquals(Arrays.copyOfRange(expect, 0, 5 * BS), Arrays.copyOfRange(b, 0, 5 * BS),
                "everything msynced is there");
        assertArrayEquals(data, Volumes.readAll(again, "/a"));
        assertEquals(List.of(), again.check().problems());
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    @Test
    void poisonOnASharedBlockInvalidatesBothMappingsThereAndNowhereElse() throws Exception {
        for (String profile : List.of(FormatOptions.SINGLE, FormatOptions.DUP)) {
            Path img = dir.resolve("poison-" + profile + ".img");
            URI uri = URI.create("dax:" + img);
            CowVolume v = volumes.fresh(uri, 64L << 20, FormatOptions.defaults().dataProfile(profile));
            byte[] data = randomBytes(16 * BS);
            reflinked(v, data);
            long physical = fiemap(v, "/a").get(0).physical() / BS;
            try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW);
                    FileMapping ma = a.map(0, 16 * BS, MapMode.READ);
                    FileMapping mb = b.map(0, 16 * BS, MapMode.READ)) {
                MappedView[] va = new MappedView[16];
                MappedView[] vb = new MappedView[16];
                for (int k = 0; k < 16; k++) { // one view per block: map each block alone first
                    va[k] = ma.view(k * BS);
                    vb[k] = mb.view(k * BS);
                }
                long t0 = System.nanoTime();
                ((Poisoning) v.boundDevice()).poison((physical + 5) * BS + 512, 1024);
                List<MediaErrorResponse.Response> answers = v.health.mediaErrors().await(1, 30_000);
                System.out.printf("MappingTest (%s): views invalidated and owners known %.2f ms after the poison%n",
                        profile, answers.get(0).ownersNanos() / 1e6);
                for (MappedView[] views : List.of(va, vb)) {
                    for (MappedView view : views) {
                        boolean hit = view.fileOffset() <= 5 * BS && view.fileOffset() + view.length() > 5 * BS;
                        if (hit) {
                            InvalidViewException e = assertThrows(InvalidViewException.class, view::validate);
                            assertInstanceOf(MediaErrorException.class, e.getCause(), e.toString());
                        }
                    }
                }
                assertTrue(System.nanoTime() - t0 < 30_000_000_000L);
                for (FileMapping m : List.of(ma, mb)) {
                    assertArrayEquals(Arrays.copyOfRange(data, 6 * BS, 16 * BS), mapped(m, 6 * BS, 10 * BS),
                            "the other blocks read");
                    assertArrayEquals(Arrays.copyOfRange(data, 0, 5 * BS), mapped(m, 0, 5 * BS));
                    if (profile.equals(FormatOptions.DUP)) {
                        assertArrayEquals(Arrays.copyOfRange(data, 5 * BS, 6 * BS), mapped(m, 5 * BS, BS),
                                "the good copy");
                    } else {
                        assertThrows(MediaErrorException.class, () -> m.view(5 * BS), "no good copy");
                    }
                }
            }
            v.unmount();
        }
    }

    @Test
    void mappingArgumentsAreChecked() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        Volumes.write(v, "/f", 0, randomBytes(BS));
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            assertThrows(InvalidArgumentException.class, () -> f.map(-1, BS, MapMode.READ));
            assertThrows(InvalidArgumentException.class, () -> f.map(0, 0, MapMode.READ));
            assertThrows(InvalidArgumentException.class, () -> f.map(Long.MAX_VALUE, 2, MapMode.READ));
            FileMapping m = f.map(BS, 4 * BS, MapMode.READ);
            assertThrows(InvalidArgumentException.class, () -> m.view(0), "before the mapping");
            assertThrows(InvalidArgumentException.class, () -> m.view(BS), "past the end of the file");
            assertEquals(-1, m.read(BS, ByteBuffer.allocate(10)));
            m.close();
            assertThrows(StorageException.class, () -> m.view(BS));
        }
        try (FileHandle r = v.open("/f", java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
            assertThrows(ReadOnlyException.class, () -> r.map(0, BS, MapMode.READ_WRITE));
        }
        v.unmount();
    }

    @Test
    void eightMappedClonesOfA64MiBFileAreOneCopyOfDeviceMemory() throws Exception {
        int size = 64 << 20;
        CowVolume v = volumes.fresh(image(), 256L << 20);
        try (FileHandle a = v.open("/a", Volumes.RW)) {
            ByteBuffer piece = ByteBuffer.allocate(1 << 20);
            for (int at = 0; at < size; at += piece.capacity()) {
                random.nextBytes(piece.array());
                a.write(piece.clear(), at);
            }
            for (int k = 1; k < 8; k++) {
                try (FileHandle c = v.open("/c" + k, Volumes.RW)) {
                    c.cloneRange(a, 0, 0, 0);
                }
            }
        }
        v.sync();
        long cacheBefore = v.cache().cached();
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        java.util.TreeMap<Long, Long> device = new java.util.TreeMap<>(); // device ranges behind every view
        List<FileMapping> mappings = new java.util.ArrayList<>();
        List<FileHandle> handles = new java.util.ArrayList<>();
        long viewed = 0;
        byte[] sink = new byte[1 << 20];
        long sum = 0;
        for (int k = 0; k < 8; k++) {
            FileHandle f = v.open(k == 0 ? "/a" : "/c" + k, Volumes.RW);
            handles.add(f);
            FileMapping m = f.map(0, size, MapMode.READ);
            mappings.add(m);
            for (long at = 0; at < size; ) {
                MappedView view = m.view(at);
                ByteBuffer b = view.buffer();
                while (b.hasRemaining()) {
                    int n = Math.min(sink.length, b.remaining());
                    b.get(sink, 0, n);
                    sum += sink[n - 1];
                }
                view.validate();
                device.merge(view.deviceOffset(), (long) view.length(), Math::max);
                viewed += view.length();
                at += view.length();
            }
        }
        long distinct = 0;
        long end = -1;
        for (var e : device.entrySet()) {
            long from = Math.max(e.getKey(), end);
            long to = e.getKey() + e.getValue();
            if (to > from) {
                distinct += to - from;
                end = to;
            }
        }
        System.gc();
        long heapAfter = rt.totalMemory() - rt.freeMemory();
        System.out.printf("MappingTest: 8 mapped clones of a 64 MiB file on dax: %d MiB viewed, %d MiB of device "
                + "memory behind the views, cache grew by %d MiB, heap by %d MiB (checksum %d)%n", viewed >> 20,
                distinct >> 20, (v.cache().cached() - cacheBefore) >> 20, (heapAfter - heapBefore) >> 20, sum);
        assertEquals(8L * size, viewed);
        assertEquals(size, distinct, "one copy of the data, however many files map it");
        assertTrue(v.cache().cached() - cacheBefore < size / 8, "views of device memory use no cache");
        for (FileMapping m : mappings) {
            m.close();
        }
        for (FileHandle f : handles) {
            f.close();
        }
        v.unmount();
    }

    @Test
    void aViewOfARunShowsWhatThePageCacheHoldsAnywhereInIt() throws Exception {
        CowVolume v = volumes.fresh(image(), 64L << 20);
        byte[] data = randomBytes(64 * BS);
        Volumes.write(v, "/f", 0, data);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.truncate(128L * BS); // a hole after the data
        }
        v.sync();
        try (FileHandle f = v.open("/f", Volumes.RW); FileMapping m = f.map(0, 128 * BS, MapMode.READ)) {
            f.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 16L * BS + 5); // in the page cache only
            f.write(ByteBuffer.wrap(new byte[] {9}), 100L * BS + 7); // in the hole
            byte[] expect = Arrays.copyOf(data, 128 * BS);
            expect[16 * BS + 5] = 1;
            expect[16 * BS + 6] = 2;
            expect[16 * BS + 7] = 3;
            expect[100 * BS + 7] = 9;
            assertArrayEquals(expect, mapped(m, 0, 128 * BS), "the views of both runs show the written bytes");
        }
        v.unmount();
    }
}
