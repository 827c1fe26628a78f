package org.cowstack.storage.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.Volume;

/**
 * What {@link PersistenceIT} writes in one framework and reads in the next: the files,
 * and every byte and stat they must show, asserted on both sides by the same code. The
 * two frameworks share the image and a note of what the writer's volume reported.
 */
final class PersistenceScenario {
    static final String NAME = "persist";
    static final String LABEL = "persist";
    static final long SIZE = 64 << 20;
    private static final int BLOCK = 4096;
    private static final EnumSet<StandardOpenOption> RW = EnumSet.of(StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE);

    /** What the note records. */
    static final String FRAMEWORK = "framework.uuid";
    static final String UUID = "volume.uuid";
    static final String USED = "volume.used";

    private PersistenceScenario() {
    }

    private static File dir() {
        String dir = System.getProperty("storage.itest.dir");
        if (dir == null) {
            throw new IllegalStateException("storage.itest.dir is not set: run the integration tests with mvn verify");
        }
        File d = new File(dir);
        d.mkdirs();
        return d;
    }

    static File imageFile() {
        return new File(dir(), "persistence.img");
    }

    static URI image() {
        return imageFile().toURI();
    }

    static File noteFile() {
        return new File(dir(), "persistence.note");
    }

    /** Nothing left from an earlier run: the writer starts from no image and the reader finds only what it wrote. */
    static void reset() throws IOException {
        Files.deleteIfExists(imageFile().toPath());
        Files.deleteIfExists(noteFile().toPath());
    }

    static void writeNote(Properties note) throws IOException {
        try (OutputStream out = Files.newOutputStream(noteFile().toPath())) {
            note.store(out, "what the writer's volume reported before it was unmounted");
        }
    }

    static Properties readNote() throws IOException {
        assertTrue("the writer left its note: " + noteFile(), noteFile().isFile());
        Properties note = new Properties();
        try (InputStream in = Files.newInputStream(noteFile().toPath())) {
            note.load(in);
        }
        return note;
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** Directories, a buffered file, a direct write past a hole, a sparse file, a file truncated twice. */
    static void write(Volume v) throws IOException {
        v.mkdir("/dir");
        v.mkdir("/dir/nested");
        try (FileHandle f = v.open("/dir/buffered", RW)) {
            assertEquals(300_000, f.write(ByteBuffer.wrap(pattern(300_000, 1)), 0));
        }
        try (FileHandle f = v.open("/direct", RW)) {
            assertEquals(16 * BLOCK, f.writeDirect(ByteBuffer.wrap(pattern(16 * BLOCK, 2)), 4 * BLOCK));
        }
        try (FileHandle f = v.open("/sparse", RW)) {
            assertEquals(100, f.write(ByteBuffer.wrap(pattern(100, 3)), 16 << 20));
        }
        try (FileHandle f = v.open("/truncated", RW)) {
            assertEquals(100_000, f.write(ByteBuffer.wrap(pattern(100_000, 4)), 0));
            f.fsync();
            f.truncate(33_333);
            f.truncate(50_000);
        }
    }

    /**
     * Everything {@link #write} wrote, byte for byte, with the sizes the volume must
     * report and, once {@code committed}, the blocks allocated (before the commit a dirty
     * page counts as allocated besides the block it replaces: delayed allocation).
     */
    static void assertHolds(Volume v, boolean committed) throws IOException {
        assertEquals(LABEL, v.label());
        assertEquals(List.of("dir", "direct", "sparse", "truncated"), names(v.list("/")));
        assertEquals(List.of("buffered", "nested"), names(v.list("/dir")));
        assertTrue(v.stat("/dir/nested").directory());
        assertEquals(List.of(), names(v.list("/dir/nested")));

        assertArrayEquals(pattern(300_000, 1), read(v, "/dir/buffered"));
        FileStat buffered = v.stat("/dir/buffered");
        assertEquals(300_000, buffered.size());
        if (committed) {
            assertEquals(74L * BLOCK, buffered.allocated());
        }

        byte[] direct = read(v, "/direct");
        assertEquals(20 * BLOCK, direct.length);
        assertArrayEquals(new byte[4 * BLOCK], Arrays.copyOf(direct, 4 * BLOCK));
        assertArrayEquals(pattern(16 * BLOCK, 2), Arrays.copyOfRange(direct, 4 * BLOCK, 20 * BLOCK));
        assertEquals(20L * BLOCK, v.stat("/direct").size());
        if (committed) {
            assertEquals(16L * BLOCK, v.stat("/direct").allocated());
        }

        FileStat sparse = v.stat("/sparse");
        assertEquals((16 << 20) + 100, sparse.size());
        if (committed) {
            assertEquals(BLOCK, sparse.allocated());
        }
        byte[] sparseBytes = read(v, "/sparse");
        assertArrayEquals(pattern(100, 3), Arrays.copyOfRange(sparseBytes, 16 << 20, (16 << 20) + 100));
        assertFalse(hasNonZero(sparseBytes, 0, 16 << 20));

        byte[] truncated = read(v, "/truncated");
        assertEquals(50_000, truncated.length);
        assertEquals(50_000, v.stat("/truncated").size());
        assertArrayEquals(Arrays.copyOf(pattern(100_000, 4), 33_333), Arrays.copyOf(truncated, 33_333));
        assertFalse("the bytes past the first truncation read as zeros", hasNonZero(truncated, 33_333, 50_000));
        if (committed) {
            assertEquals(9L * BLOCK, v.stat("/truncated").allocated());
        }
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

    private static byte[] read(Volume v, String path) throws IOException {
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate((int) f.size());
            while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                // read until full
            }
            assertFalse(path + " read short: " + b.position() + " of " + b.capacity() + " bytes", b.hasRemaining());
            return b.array();
        }
    }
}
