package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import org.cowstack.storage.api.volume.CacheUsage;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-copy cache on a whole volume (issue 19): reflinked clones read through the
 * cache take it once, each reads its own bytes, and a write to one changes only its view.
 */
class SingleCopyCacheTest {
    private static final int MIB = 1 << 20;
    private static final int CLONES = 8;
    private final FileDeviceProvider files = new FileDeviceProvider();
    private final Volumes volumes = new Volumes(files);

    @TempDir
    Path dir;

    @AfterEach
    void deactivate() throws IOException {
        files.deactivate();
    }

    private static byte[] digestOf(CowVolume v, String path) throws IOException {
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(MIB);
            for (long at = 0; ; ) {
                b.clear();
                int n = f.read(b, at);
                if (n < 0) {
                    break;
                }
                md.update(b.array(), 0, n);
                at += n;
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] digestOf(byte[] data) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    /** A volume on a file: {@code /c0} of {@code size} random bytes and clones {@code /c1..}, mounted afresh (nothing cached). */
    private CowVolume clones(URI uri, byte[] data) throws IOException {
        CowVolume v = volumes.fresh(uri, 4L * data.length + 64 * MIB, FormatOptions.defaults());
        Volumes.write(v, "/c0", 0, data);
        try (FileHandle source = v.open("/c0", Volumes.RW)) {
            for (int i = 1; i < CLONES; i++) {
                try (FileHandle clone = v.open("/c" + i, Volumes.RW)) {
                    assertEquals(data.length, clone.cloneRange(source, 0, 0, 0));
                }
            }
        }
        v.unmount();
        CowVolume again = volumes.mount(uri);
        again.cacheSize(4L * data.length);
        return again;
    }

    @Test
    void eightClonesOfA64MiBFileReadThroughTheCacheTakeItOnce() throws Exception {
        byte[] data = new byte[64 * MIB];
        new Random(19).nextBytes(data);
        byte[] digest = digestOf(data);
        CowVolume v = clones(URI.create("file:" + dir.resolve("clones.img")), data);
        assertArrayEquals(digest, digestOf(v, "/c0"));
        CacheUsage first = v.cache();
        for (int i = 1; i < CLONES; i++) {
            assertArrayEquals(digest, digestOf(v, "/c" + i), "/c" + i);
        }
        CacheUsage all = v.cache();
        long hits = all.hits() - first.hits();
        long misses = all.misses() - first.misses();
        double rest = (double) hits / (hits + misses);
        System.out.printf("single-copy cache, %d clones of %d MiB read: cached %d MiB, shared %d MiB,"
                + " hit rate of the last %d files %.3f (all: %.3f), misses of the first %d blocks, of the rest %d%n",
                CLONES, data.length / MIB, all.cached() / MIB, all.shared() / MIB, CLONES - 1, rest, all.hitRate(),
                first.misses(), misses);
        assertTrue(all.cached() < 2L * data.length, "cached once, not " + CLONES + " times: " + all);
        assertTrue(all.cached() >= data.length * 9L / 10, "the file is cached: " + all);
        assertTrue(all.shared() >= data.length * 9L / 10, "and served to more than one file: " + all);
        assertTrue(rest > 0.8, "the clones were served from the cache: " + rest + " " + all);
        assertEquals(0, all.pinned());
        v.unmount();
    }

    @Test
    void clonesReadRightAfterTheyWereMadeTakeTheReadCacheOnce() throws Exception {
        byte[] data = new byte[64 * MIB];
        new Random(23).nextBytes(data);
        URI uri = URI.create("file:" + dir.resolve("fresh.img"));
        CowVolume v = volumes.fresh(uri, 4L * data.length + 64 * MIB, FormatOptions.defaults());
        v.cacheSize(4L * data.length);
        Volumes.write(v, "/c0", 0, data);
        try (FileHandle source = v.open("/c0", Volumes.RW)) {
            for (int i = 1; i < CLONES; i++) {
                try (FileHandle clone = v.open("/c" + i, Volumes.RW)) {
                    assertEquals(data.length, clone.cloneRange(source, 0, 0, 0));
                }
            }
        }
        byte[] digest = digestOf(data);
        for (int i = 0; i < CLONES; i++) {
            assertArrayEquals(digest, digestOf(v, "/c" + i), "/c" + i);
        }
        CacheUsage all = v.cache();
        long written = v.core.cache.cachedPages() * v.core.blockSize;
        System.out.printf("single-copy cache, %d clones of %d MiB read without a remount: cached %d MiB"
                + " (%d MiB of it the written file's clean pages in the page cache), shared %d MiB, hit rate %.3f%n",
                CLONES, data.length / MIB, all.cached() / MIB, written / MIB, all.shared() / MIB, all.hitRate());
        // The page cache keeps the pages /c0's write left (clean once written back, per file, not
        // by physical block): the clones' blocks are read once more, into the physical cache, once.
        assertTrue(v.core.readCache.cachedBytes() <= data.length, "the clones share one copy: " + all);
        assertTrue(all.cached() <= written + data.length, "at most one copy besides the written pages: " + all);
        v.unmount();
    }

    @Test
    void clonesReadAtOnceByManyThreadsReadRightAndTakeTheCacheOnce() throws Exception {
        byte[] data = new byte[8 * MIB];
        new Random(31).nextBytes(data);
        byte[] digest = digestOf(data);
        CowVolume v = clones(URI.create("file:" + dir.resolve("threads.img")), data);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(CLONES);
        try {
            java.util.List<java.util.concurrent.Future<byte[]>> reads = new java.util.ArrayList<>();
            for (int i = 0; i < CLONES; i++) {
                String path = "/c" + i;
                reads.add(pool.submit(() -> digestOf(v, path)));
            }
            for (int i = 0; i < CLONES; i++) {
                assertArrayEquals(digest, reads.get(i).get(), "/c" + i);
            }
        } finally {
            pool.shutdown();
        }
        CacheUsage c = v.cache();
        assertTrue(c.cached() <= data.length, "each block once, however the readers raced: " + c);
        assertEquals(c.cached(), c.shared(), c.toString());
        v.unmount();
    }

    @Test
    void dedupedCopiesTakeTheCacheOnce() throws Exception {
        byte[] data = new byte[4 * MIB];
        new Random(11).nextBytes(data);
        URI uri = URI.create("file:" + dir.resolve("dedupe.img"));
        CowVolume v = volumes.fresh(uri, 64 * MIB, FormatOptions.defaults());
        Volumes.write(v, "/a", 0, data);
        Volumes.write(v, "/b", 0, data);
        v.sync();
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            b.dedupeRange(a, 0, 0, data.length);
        }
        v.unmount();
        v = volumes.mount(uri);
        assertArrayEquals(data, Volumes.readAll(v, "/a"));
        long misses = v.cache().misses();
        assertArrayEquals(data, Volumes.readAll(v, "/b"));
        CacheUsage c = v.cache();
        assertEquals(misses, c.misses(), "the deduped copy came from the cache: " + c);
        assertEquals(data.length, c.cached(), c.toString());
        assertEquals(data.length, c.shared(), c.toString());
        v.unmount();
    }

    @Test
    void aWriteToOneCloneChangesOnlyItsView() throws Exception {
        byte[] data = new byte[4 * MIB];
        new Random(7).nextBytes(data);
        CowVolume v = clones(URI.create("file:" + dir.resolve("write.img")), data);
        for (int i = 0; i < CLONES; i++) {
            assertArrayEquals(data, Volumes.readAll(v, "/c" + i));
        }
        byte[] written = new byte[64 << 10];
        java.util.Arrays.fill(written, (byte) 0x5a);
        try (FileHandle f = v.open("/c3", Volumes.RW)) {
            f.write(ByteBuffer.wrap(written), MIB);
            f.fsync();
        }
        try (FileHandle f = v.open("/c5", Volumes.RW)) {
            f.writeDirect(ByteBuffer.wrap(written), 2 * MIB);
        }
        v.sync();
        long missesBefore = v.cache().misses();
        byte[] expected3 = data.clone();
        System.arraycopy(written, 0, expected3, MIB, written.length);
        byte[] expected5 = data.clone();
        System.arraycopy(written, 0, expected5, 2 * MIB, written.length);
        for (int i = 0; i < CLONES; i++) {
            byte[] expected = i == 3 ? expected3 : i == 5 ? expected5 : data;
            assertArrayEquals(expected, Volumes.readAll(v, "/c" + i), "/c" + i);
        }
        CacheUsage after = v.cache();
        assertTrue(after.misses() - missesBefore <= 2 * written.length / 4096,
                "only the written blocks came from the device: " + after);
        assertTrue(after.cached() < 2L * data.length, after.toString());
        v.unmount();
    }

    @Test
    void aNocowBlockWrittenInPlaceIsReadAgainNotFromTheCache() throws Exception {
        CowVolume v = volumes.fresh(URI.create("file:" + dir.resolve("nocow.img")), 64 * MIB);
        byte[] data = new byte[MIB];
        new Random(3).nextBytes(data);
        try (FileHandle f = v.open("/n", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(ByteBuffer.wrap(data), 0);
            f.fsync();
        }
        v.unmount();
        v = volumes.mount(URI.create("file:" + dir.resolve("nocow.img")));
        assertArrayEquals(data, Volumes.readAll(v, "/n"));
        byte[] page = new byte[4096];
        java.util.Arrays.fill(page, (byte) 0x11);
        try (FileHandle f = v.open("/n", Volumes.RW)) {
            f.writeDirect(ByteBuffer.wrap(page), 8192);
        }
        System.arraycopy(page, 0, data, 8192, page.length);
        assertArrayEquals(data, Volumes.readAll(v, "/n"));
        v.unmount();
    }

    @Test
    void eightMappedClonesShowOneCachedCopy() throws Exception {
        byte[] data = new byte[64 * MIB];
        new Random(29).nextBytes(data);
        byte[] digest = digestOf(data);
        CowVolume v = clones(URI.create("file:" + dir.resolve("mapped.img")), data);
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        java.util.List<org.cowstack.storage.api.volume.FileMapping> mappings = new java.util.ArrayList<>();
        java.util.List<FileHandle> handles = new java.util.ArrayList<>();
        long maxPinned = 0;
        for (int i = 0; i < CLONES; i++) {
            FileHandle f = v.open("/c" + i, EnumSet.of(StandardOpenOption.READ));
            handles.add(f);
            var m = f.map(0, data.length, org.cowstack.storage.api.volume.MapMode.READ);
            mappings.add(m);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(MIB);
            for (long at = 0; at < data.length; at += MIB) {
                b.clear();
                assertEquals(MIB, m.read(at, b));
                md.update(b.array());
                maxPinned = Math.max(maxPinned, v.cache().pinned());
            }
            assertArrayEquals(digest, md.digest(), "/c" + i + " through its mapping");
        }
        CacheUsage all = v.cache();
        System.gc();
        long heapAfter = rt.totalMemory() - rt.freeMemory();
        System.out.printf("single-copy cache, %d mapped clones of %d MiB read through views: cached %d MiB, shared %d"
                + " MiB, pinned %d MiB now (at most %d MiB), hit rate %.3f, heap grew by %d MiB%n", CLONES,
                data.length / MIB, all.cached() / MIB, all.shared() / MIB, all.pinned() / MIB, maxPinned / MIB,
                all.hitRate(), (heapAfter - heapBefore) / MIB);
        assertTrue(all.cached() < 2L * data.length, "cached once, not " + CLONES + " times: " + all);
        assertTrue(maxPinned <= data.length, "views pin one copy: " + maxPinned);
        assertTrue(all.shared() >= data.length * 9L / 10, "pages served to several files' views: " + all);
        assertTrue(all.hitRate() > 0.8, "the clones' views came from the cache: " + all);
        for (var m : mappings) {
            m.close();
        }
        for (FileHandle f : handles) {
            f.close();
        }
        assertEquals(0, v.cache().pinned(), "unmapped: nothing pinned");
        v.unmount();
    }
}
