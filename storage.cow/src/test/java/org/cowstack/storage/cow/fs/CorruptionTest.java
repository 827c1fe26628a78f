package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.cowstack.storage.cow.bind.VolumeServices;

/** Bad data, bad metadata and bad images: one clear error, never wrong data, never a crash. */
class CorruptionTest {
    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:corruption");

    @TempDir
    Path dir;

    private void flip(long offset) throws IOException {
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
            long sector = offset - offset % 512;
            ByteBuffer b = ByteBuffer.allocate(512);
            d.read(b, sector);
            b.put((int) (offset - sector), (byte) (b.get((int) (offset - sector)) ^ 0x10)).clear();
            d.write(b, sector);
        }
    }

    @Test
    void aFlippedDataByteFailsThatBlockOnlyWithTheChecksumError() throws IOException {
        volumes.mkfs(uri, 16 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        byte[] data = ChecksumAlgorithmContract.pattern(4 * 4096);
        Volumes.write(v, "/f", 0, data);
        List<ExtentMapping> map;
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            map = f.extents(0, 0);
        }
        v.unmount();
        flip(map.get(0).physical() + 2 * 4096 + 100);
        CowVolume again = volumes.mount(uri);
        try (FileHandle f = again.open("/f", EnumSet.of(StandardOpenOption.READ))) {
            ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                    () -> f.read(ByteBuffer.allocate(4 * 4096), 0));
            assertEquals("/f", e.file());
            assertEquals(8192, e.offset());
            assertEquals(map.get(0).physical() / 4096 + 2, e.block());
            assertEquals("crc32c", e.algorithm());
            assertTrue(e.getMessage().contains("volume test, /f at offset 8192"), e.getMessage());
            ByteBuffer firstTwo = ByteBuffer.allocate(8192);
            assertEquals(8192, f.read(firstTwo, 0));
            assertArrayEquals(java.util.Arrays.copyOf(data, 8192), firstTwo.array(), "the other blocks read fine");
            ByteBuffer last = ByteBuffer.allocate(4096);
            assertEquals(4096, f.read(last, 3 * 4096));
        }
        again.unmount();
    }

    @Test
    void aFlippedByteInAMetadataNodeFailsTheOperationsThatNeedItCleanly() throws IOException {
        volumes.mkfs(uri, 32 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        for (int i = 0; i < 400; i++) {
            Volumes.write(v, "/file" + i, 0, new byte[] {(byte) i});
        }
        v.sync();
        assertTrue(v.tree(TreeId.FS).rootLevel() >= 1, "a tree with several leaves");
        long victimInode = v.stat("/file300").inode();
        long[] leaf = {-1};
        v.tree(TreeId.FS).forEachNode(n -> {
            if (n.isLeaf()) {
                for (int i = 0; i < n.size(); i++) {
                    if (n.key(i).equals(new Key(victimInode, ItemType.INODE, 0))) {
                        leaf[0] = n.block();
                    }
                }
            }
        });
        v.unmount();
        flip(leaf[0] * 4096 + 2000);
        CowVolume again = volumes.mount(uri); // the root and other leaves are fine
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> again.stat("/file300"));
        assertTrue(e.file().contains("fs tree"), e.getMessage());
        assertEquals(leaf[0], e.block());
        assertEquals(1, Volumes.readAll(again, "/file5").length, "files in other leaves still work");
        again.unmount();
    }

    @Test
    void mountRefusesWhatIsNotAVolume() throws IOException {
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.create(16 << 20))) {
            assertEquals(16 << 20, d.size());
        }
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> volumes.mount(uri));
        assertTrue(e.getMessage().contains("no valid superblock") && e.getMessage().contains("bad magic"),
                e.getMessage());
    }

    @Test
    void mountTakesTheOlderSuperblockWhenTheNewestIsDamagedAndRefusesWhenBothAre() throws IOException {
        volumes.mkfs(uri, 16 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        Volumes.write(v, "/first", 0, new byte[] {1});
        v.sync();
        long generation = v.committedGeneration();
        Volumes.write(v, "/second", 0, new byte[] {2});
        v.sync();
        long newest = v.committedGeneration();
        assertEquals(generation + 1, newest);
        v.unmount();
        flip(Superblock.OFFSETS[(int) (newest % 2)] + 100);
        CowVolume older = volumes.mount(uri);
        assertEquals(generation, older.committedGeneration());
        assertArrayEquals(new byte[] {1}, Volumes.readAll(older, "/first"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> older.stat("/second"));
        assertEquals(List.of(), older.audit());
        older.abandon();
        flip(Superblock.OFFSETS[(int) (generation % 2)] + 100);
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> volumes.mount(uri));
        assertTrue(e.getMessage().contains("superblock checksum mismatch"), e.getMessage());
    }

    @Test
    void unknownIncompatibleFeaturesAndMissingAlgorithmsAreRefusedByName() throws IOException {
        volumes.mkfs(uri, 16 << 20, FormatOptions.defaults().checksum("blake2b"));
        VolumeServices withoutBlake = VolumeServices.of(
                Volumes.SERVICES.checksums().stream().filter(a -> a.id() != 3).toList(), List.of(new FirstFit()),
                List.of(new org.cowstack.storage.dio.Buffered()));
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
            NotSupportedException e = assertThrows(NotSupportedException.class,
                    () -> CowVolume.mount("t", uri, d, withoutBlake,
                            org.cowstack.storage.api.volume.MountOptions.defaults(), 1 << 20));
            assertTrue(e.getMessage().contains("(id 3) is not installed"), e.getMessage());
            // Now set an incompatible feature bit this engine does not know, re-sealed.
            for (long offset : Superblock.OFFSETS) {
                ByteBuffer sb = ByteBuffer.allocate(Superblock.SIZE).order(ByteOrder.LITTLE_ENDIAN);
                d.read(sb, offset);
                sb.putLong(56, 1L << 40);
                ChecksumAlgorithm blake = Volumes.SERVICES.checksum(3);
                byte[] digest = new byte[32];
                blake.digest(sb.duplicate().position(32).limit(Superblock.SIZE), digest, 0);
                sb.put(0, digest);
                d.write(sb.clear(), offset);
            }
            NotSupportedException f = assertThrows(NotSupportedException.class, () -> CowVolume.mount("t", uri, d,
                    Volumes.SERVICES, org.cowstack.storage.api.volume.MountOptions.defaults(), 1 << 20));
            assertTrue(f.getMessage().contains("unknown incompatible features 0x10000000000"), f.getMessage());
        }
    }

    @Test
    void aTruncatedImageIsRefused() throws IOException {
        FileDeviceProvider files = new FileDeviceProvider();
        Volumes onFiles = new Volumes(files);
        Path image = dir.resolve("v.img");
        URI fileUri = URI.create("file:" + image);
        onFiles.mkfs(fileUri, 16 << 20, FormatOptions.defaults());
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            ch.truncate(8 << 20);
        }
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> onFiles.mount(fileUri));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        files.deactivate();
    }

    /**
     * Random damage anywhere in the metadata area or the superblocks: whatever happens,
     * it is an IOException with a message (or nothing, when the damage hit unused
     * space), never another exception, a hang or wrong data passed off as good.
     */
    @Test
    void randomDamageOnlyEverFailsCleanly() throws IOException {
        Random r = new Random(Seeds.seed("CorruptionTest.fuzz"));
        volumes.mkfs(uri, 8 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            files.add("/f" + i);
            Volumes.write(v, "/f" + i, 0, ChecksumAlgorithmContract.pattern(100 + i * 300));
        }
        v.unmount();
        byte[] pristine;
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            ByteBuffer all = ByteBuffer.allocate((int) d.size());
            d.read(all, 0);
            pristine = all.array();
        }
        int clean = 0;
        int failed = 0;
        for (int round = 0; round < 150; round++) {
            try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
                d.write(ByteBuffer.wrap(pristine), 0);
                for (int k = 0; k < 1 + r.nextInt(4); k++) {
                    // Superblocks or the first 2 MiB, where mkfs and the writes put the metadata.
                    long at = r.nextInt(4) == 0 ? Superblock.OFFSETS[r.nextInt(2)] + r.nextInt(Superblock.SIZE)
                            : Superblock.RESERVED_BYTES + r.nextInt(2 << 20);
                    long sector = at - at % 512;
                    ByteBuffer b = ByteBuffer.allocate(512);
                    d.read(b, sector);
                    b.put((int) (at - sector), (byte) r.nextInt(256)).clear();
                    d.write(b, sector);
                }
            }
            try {
                CowVolume m = volumes.mount(uri);
                try {
                    for (String f : files) {
                        int expected = 100 + Integer.parseInt(f.substring(2)) * 300;
                        assertArrayEquals(ChecksumAlgorithmContract.pattern(expected), Volumes.readAll(m, f), f);
                    }
                    assertEquals(List.of(), m.audit(), "a volume that mounts and reads is consistent");
                    clean++;
                } finally {
                    m.abandon();
                }
            } catch (IOException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a message: " + e);
                failed++;
            }
        }
        System.out.printf("random damage: %d rounds read back intact, %d failed cleanly%n", clean, failed);
        assertEquals(150, clean + failed);
    }
}
