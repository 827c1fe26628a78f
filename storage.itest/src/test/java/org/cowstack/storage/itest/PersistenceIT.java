package org.cowstack.storage.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;

/**
 * Written in one framework, read in the next: each test method runs in a framework of
 * its own (the first is stopped before the second starts), sharing only the image file.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class PersistenceIT {
    private static final int BLOCK = 4096;

    @Inject
    private VolumeManager manager;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private static URI image() {
        File dir = new File(System.getProperty("storage.itest.dir"));
        dir.mkdirs();
        return new File(dir, "persistence.img").toURI();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static final EnumSet<StandardOpenOption> RW = EnumSet.of(StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE);

    @Test
    public void a_writeFilesAndUnmount() throws Exception {
        new File(image()).delete();
        manager.mkfs(image(), FormatOptions.defaults().size(64 << 20).label("persist"));
        Volume v = manager.mount("persist", image(), MountOptions.defaults());
        v.mkdir("/dir");
        v.mkdir("/dir/nested");
        try (FileHandle f = v.open("/dir/buffered", RW)) {
            f.write(ByteBuffer.wrap(pattern(300_000, 1)), 0);
        }
        try (FileHandle f = v.open("/direct", RW)) {
            f.writeDirect(ByteBuffer.wrap(pattern(16 * BLOCK, 2)), 4 * BLOCK);
        }
        try (FileHandle f = v.open("/sparse", RW)) {
            f.write(ByteBuffer.wrap(pattern(100, 3)), 16 << 20);
        }
        try (FileHandle f = v.open("/truncated", RW)) {
            f.write(ByteBuffer.wrap(pattern(100_000, 4)), 0);
            f.fsync();
            f.truncate(33_333);
            f.truncate(50_000);
        }
        manager.unmount("persist");
    }

    @Test
    public void b_everyByteAndStatIsThereInTheNextFramework() throws Exception {
        Volume v = manager.mount("persist", image(), MountOptions.defaults());
        assertEquals("persist", v.label());
        assertEquals(List.of("dir", "direct", "sparse", "truncated"), names(v.list("/")));
        assertEquals(List.of("buffered", "nested"), names(v.list("/dir")));
        assertTrue(v.stat("/dir/nested").directory());

        assertArrayEquals(pattern(300_000, 1), read(v, "/dir/buffered"));
        FileStat buffered = v.stat("/dir/buffered");
        assertEquals(300_000, buffered.size());
        assertEquals(74L * BLOCK, buffered.allocated());

        byte[] direct = read(v, "/direct");
        assertEquals(20 * BLOCK, direct.length);
        assertArrayEquals(new byte[4 * BLOCK], java.util.Arrays.copyOf(direct, 4 * BLOCK));
        assertArrayEquals(pattern(16 * BLOCK, 2), java.util.Arrays.copyOfRange(direct, 4 * BLOCK, 20 * BLOCK));
        assertEquals(16L * BLOCK, v.stat("/direct").allocated());

        FileStat sparse = v.stat("/sparse");
        assertEquals((16 << 20) + 100, sparse.size());
        assertEquals(BLOCK, sparse.allocated());
        byte[] sparseBytes = read(v, "/sparse");
        assertArrayEquals(pattern(100, 3), java.util.Arrays.copyOfRange(sparseBytes, 16 << 20, (16 << 20) + 100));
        assertFalse(hasNonZero(sparseBytes, 0, 16 << 20));

        byte[] truncated = read(v, "/truncated");
        assertEquals(50_000, truncated.length);
        assertArrayEquals(java.util.Arrays.copyOf(pattern(100_000, 4), 33_333), java.util.Arrays.copyOf(truncated, 33_333));
        assertFalse("the bytes past the first truncation read as zeros", hasNonZero(truncated, 33_333, 50_000));
        assertEquals(9L * BLOCK, v.stat("/truncated").allocated());
        manager.unmount("persist");
    }

    private static List<String> names(List<DirEntry> entries) {
        return entries.stream().map(DirEntry::name).collect(Collectors.toList());
    }

    private static boolean hasNonZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return true;
            }
        }
        return false;
    }

    private static byte[] read(Volume v, String path) throws Exception {
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate((int) f.size());
            while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                // read until full
            }
            return b.array();
        }
    }
}
