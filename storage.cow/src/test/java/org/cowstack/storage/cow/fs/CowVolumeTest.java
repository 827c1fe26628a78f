package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CowVolumeTest {
    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:cowvolumetest");

    private CowVolume fresh(long size, FormatOptions options) throws IOException {
        volumes.mkfs(uri, size, options);
        return volumes.mount(uri);
    }

    @Test
    void namespaceOperations() throws IOException {
        CowVolume v = fresh(16 << 20, FormatOptions.defaults());
        v.mkdir("/d");
        v.mkdir("/d/e");
        Volumes.write(v, "/d/f", 0, "hello".getBytes());
        Volumes.write(v, "/g", 0, new byte[0]);
        assertEquals(List.of("d", "g"), names(v.list("/")));
        assertEquals(List.of("e", "f"), names(v.list("/d")));
        assertThrows(FileAlreadyExistsException.class, () -> v.mkdir("/d"));
        assertThrows(NoSuchFileException.class, () -> v.mkdir("/nope/x"));
        assertThrows(NotDirectoryException.class, () -> v.mkdir("/g/x"));
        assertThrows(NotDirectoryException.class, () -> v.list("/g"));
        assertThrows(DirectoryNotEmptyException.class, () -> v.delete("/d"));
        assertThrows(org.cowstack.storage.api.InvalidArgumentException.class, () -> v.rename("/d", "/d/e/x"));
        v.rename("/d/f", "/h");
        assertArrayEquals("hello".getBytes(), Volumes.readAll(v, "/h"));
        v.rename("/h", "/g"); // replaces the empty file g
        assertEquals(List.of("d", "g"), names(v.list("/")));
        assertArrayEquals("hello".getBytes(), Volumes.readAll(v, "/g"));
        v.rename("/d", "/dd");
        assertEquals(List.of("e"), names(v.list("/dd")));
        v.delete("/dd/e");
        v.delete("/dd");
        assertThrows(NoSuchFileException.class, () -> v.stat("/dd"));
        assertThrows(FileAlreadyExistsException.class,
                () -> v.open("/g", EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)));
        assertThrows(NoSuchFileException.class, () -> v.open("/none", EnumSet.of(StandardOpenOption.READ)));
        assertTrue(v.stat("/").directory());
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    private static List<String> names(List<DirEntry> entries) {
        return entries.stream().map(DirEntry::name).collect(Collectors.toList());
    }

    @ParameterizedTest
    @CsvSource({"4096, crc32c", "512, xxhash64", "65536, sha256", "4096, blake2b"})
    void everythingWrittenIsThereAfterRemount(int blockSize, String csum) throws IOException {
        CowVolume v = fresh(32 << 20, FormatOptions.defaults().blockSize(blockSize).checksum(csum).label("t"));
        byte[] a = ChecksumAlgorithmContract.pattern(300_000);
        byte[] b = ChecksumAlgorithmContract.pattern(3 * 65536);
        try (FileHandle f = v.open("/buffered", Volumes.RW)) {
            f.write(ByteBuffer.wrap(a), 0);
            f.write(ByteBuffer.wrap(a, 0, 1000), 5000); // overwrite inside
        }
        try (FileHandle f = v.open("/direct", Volumes.RW)) {
            assertEquals(b.length, f.writeDirect(ByteBuffer.wrap(b), 65536));
        }
        try (FileHandle f = v.open("/sparse", Volumes.RW)) {
            f.write(ByteBuffer.wrap(a, 0, 10), 10 << 20);
        }
        try (FileHandle f = v.open("/truncated", Volumes.RW)) {
            f.write(ByteBuffer.wrap(a), 0);
            f.truncate(100_001);
            f.truncate(200_000); // the tail past 100001 reads as zeros
        }
        v.sync();
        try (FileHandle f = v.open("/after-sync", Volumes.RW)) {
            f.write(ByteBuffer.wrap(a, 0, 12345), 0);
        }
        assertEquals(List.of(), v.audit());
        v.unmount();

        CowVolume again = volumes.mount(uri);
        assertEquals("t", again.label());
        assertEquals(csum, again.checksum());
        byte[] expected = a.clone();
        System.arraycopy(a, 0, expected, 5000, 1000);
        assertArrayEquals(expected, Volumes.readAll(again, "/buffered"));
        byte[] direct = Volumes.readAll(again, "/direct");
        assertEquals(65536 + b.length, direct.length);
        assertArrayEquals(new byte[65536], Arrays.copyOfRange(direct, 0, 65536));
        assertArrayEquals(b, Arrays.copyOfRange(direct, 65536, direct.length));
        byte[] sparse = Volumes.readAll(again, "/sparse");
        assertEquals((10 << 20) + 10, sparse.length);
        assertArrayEquals(new byte[10 << 20], Arrays.copyOfRange(sparse, 0, 10 << 20));
        assertArrayEquals(Arrays.copyOf(a, 10), Arrays.copyOfRange(sparse, 10 << 20, sparse.length));
        FileStat st = again.stat("/sparse");
        assertTrue(st.allocated() <= 2L * blockSize, "a sparse file allocates only what was written: " + st);
        byte[] truncated = Volumes.readAll(again, "/truncated");
        assertEquals(200_000, truncated.length);
        assertArrayEquals(Arrays.copyOf(a, 100_001), Arrays.copyOf(truncated, 100_001));
        assertArrayEquals(new byte[200_000 - 100_001], Arrays.copyOfRange(truncated, 100_001, 200_000));
        assertArrayEquals(Arrays.copyOf(a, 12345), Volumes.readAll(again, "/after-sync"));
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    @Test
    void extentMapShowsHolesAndMergesContiguousBlocks() throws IOException {
        CowVolume v = fresh(16 << 20, FormatOptions.defaults());
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(ByteBuffer.wrap(new byte[8192]), 0);
            f.write(ByteBuffer.wrap(new byte[4096]), 16384);
            List<ExtentMapping> map = f.extents(0, 0);
            assertEquals(3, map.size(), map.toString());
            assertEquals(0, map.get(0).logical());
            assertEquals(8192, map.get(0).length());
            assertTrue(map.get(0).flags().isEmpty());
            assertEquals(8192, map.get(1).logical());
            assertEquals(-1, map.get(1).physical());
            assertEquals(EnumSet.of(ExtentMapping.Flag.HOLE), map.get(1).flags());
            assertEquals(16384, map.get(2).logical());
        }
        v.unmount();
    }

    @Test
    void readOnlyMountRefusesChanges() throws IOException {
        CowVolume v = fresh(16 << 20, FormatOptions.defaults());
        Volumes.write(v, "/f", 0, "x".getBytes());
        v.unmount();
        CowVolume ro = volumes.mount(uri, org.cowstack.storage.api.volume.MountOptions.defaults().readOnly(true));
        assertArrayEquals("x".getBytes(), Volumes.readAll(ro, "/f"));
        assertThrows(org.cowstack.storage.api.ReadOnlyException.class, () -> ro.mkdir("/d"));
        assertThrows(org.cowstack.storage.api.ReadOnlyException.class, () -> Volumes.write(ro, "/f", 0, new byte[1]));
        assertFalse(ro.state() == org.cowstack.storage.api.volume.VolumeState.MOUNTED);
        ro.unmount();
    }
}
