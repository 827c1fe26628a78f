package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

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
        volumes.mkfs(uri, 32 << 20, FormatOptions.defaults().metadataProfile(FormatOptions.SINGLE));
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
        org.cowstack.storage.api.ReadOnlyException ro = assertThrows(org.cowstack.storage.api.ReadOnlyException.class,
                () -> Volumes.write(again, "/file5", 0, new byte[] {1}));
        assertTrue(ro.getMessage().contains("no good copy") && ro.getMessage().contains("block " + leaf[0]),
                ro.getMessage());
        again.unmount();
    }

    @Test
    void withDupMetadataAFlippedNodeIsReadFromItsSecondCopyAndRewritten() throws IOException {
        volumes.mkfs(uri, 32 << 20, FormatOptions.defaults().metadataProfile(FormatOptions.DUP));
        CowVolume v = volumes.mount(uri);
        for (int i = 0; i < 400; i++) {
            Volumes.write(v, "/file" + i, 0, new byte[] {(byte) i});
        }
        v.sync();
        long victimInode = v.stat("/file300").inode();
        long[] leaf = {-1, -1};
        v.tree(TreeId.FS).forEachNode(n -> {
            if (n.isLeaf()) {
                for (int i = 0; i < n.size(); i++) {
                    if (n.key(i).equals(new Key(victimInode, ItemType.INODE, 0))) {
                        leaf[0] = n.block();
                        leaf[1] = n.mirror();
                    }
                }
            }
        });
        assertTrue(leaf[1] > 0 && Math.abs(leaf[1] - leaf[0]) > (32 << 20) / 4096 / 2, "a second copy far away: "
                + Arrays.toString(leaf));
        v.unmount();
        flip(leaf[0] * 4096 + 2000);
        CowVolume again = volumes.mount(uri);
        assertEquals(300 % 256, Volumes.readAll(again, "/file300")[0] & 0xff, "read from the second copy");
        assertEquals(1, again.core.healing.found());
        assertEquals(1, again.core.healing.repaired());
        again.unmount();
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            ByteBuffer first = ByteBuffer.allocate(4096);
            ByteBuffer second = ByteBuffer.allocate(4096);
            d.read(first, leaf[0] * 4096);
            d.read(second, leaf[1] * 4096);
            assertArrayEquals(second.array(), first.array(), "the bad copy was rewritten from the good one");
        }
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

    /** The bytes one generation of a volume depends on, and what it holds. */
    private record Generation(long number, long superblock, BitSet live, Map<String, byte[]> files) {
        boolean touchedBy(List<Long> damage) {
            return damage.stream().anyMatch(at -> live.get((int) (long) at));
        }

        boolean superblockTouchedBy(List<Long> damage) {
            return damage.stream().anyMatch(at -> at >= superblock && at < superblock + Superblock.SIZE
                    && live.get((int) (long) at));
        }
    }

    /** Puts a whole image on a RAM disk of its own. */
    private URI install(String name, byte[] image) throws IOException {
        URI copy = URI.create("mem:" + name);
        try (BlockDevice d = volumes.provider.open(copy, OpenOptions.create(image.length))) {
            d.write(ByteBuffer.wrap(image), 0);
        }
        return copy;
    }

    /**
     * Mounts {@code image} (which must select generation {@code number}), checks that it
     * holds {@code files} and maps every byte that generation depends on: the checksummed
     * bytes of its superblock copy and of every node of its four trees (all but the
     * digest's zero padding, bytes [digest length, 32), which nothing reads), and the
     * data blocks of its files (the whole block: the data checksum covers it).
     */
    private Generation map(byte[] image, long number, Map<String, byte[]> files) throws IOException {
        CowVolume v = volumes.mount(install("corruption-map-" + number, image));
        try {
            assertEquals(number, v.committedGeneration());
            assertEquals(4096, v.blockSize(), "a node is one block at this block size");
            int bs = v.blockSize();
            int digest = Volumes.SERVICES.checksum(v.checksum()).digestLength();
            assertTrue(digest < 32, "the digest is zero-padded to 32 bytes, and the padding is checked too");
            BitSet live = new BitSet(image.length);
            long superblock = Superblock.OFFSETS[(int) (number % Superblock.OFFSETS.length)];
            live.set((int) superblock, (int) superblock + Superblock.SIZE);
            for (org.cowstack.storage.cow.btree.BTree tree : v.trees()) {
                tree.forEachNode(n -> {
                    int at = (int) (n.block() * bs);
                    live.set(at, at + bs);
                });
            }
            assertEquals(new ArrayList<>(files.keySet()), names(v), "generation " + number);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                assertArrayEquals(f.getValue(), Volumes.readAll(v, f.getKey()), f.getKey());
                try (FileHandle h = v.open(f.getKey(), EnumSet.of(StandardOpenOption.READ))) {
                    for (ExtentMapping e : h.extents(0, 0)) {
                        assertEquals(Set.of(), e.flags(), f.getKey() + ": written and checksummed, not shared: " + e);
                        assertTrue(e.physical() >= 0, e.toString());
                        live.set((int) (e.physical() - e.physical() % bs),
                                (int) ((e.physical() + e.length() + bs - 1) / bs * bs));
                    }
                }
            }
            assertEquals(List.of(), v.audit());
            return new Generation(number, superblock, live, Collections.unmodifiableSortedMap(new TreeMap<>(files)));
        } finally {
            v.abandon();
        }
    }

    private static List<String> names(CowVolume v) throws IOException {
        return v.list("/").stream().map(e -> "/" + e.name()).sorted().toList();
    }

    /**
     * Random damage anywhere in the metadata area or the superblocks. The image holds two
     * generations, and the test maps every byte each depends on before it damages
     * anything, so it knows what each round must show:
     * <ul>
     * <li>the damage changed nothing the newest generation depends on: it mounts, and
     * lists, reads back and audits exactly as written;
     * <li>it changed the newest superblock copy but nothing the previous generation
     * depends on: mount takes the previous generation, which reads back exactly as it was;
     * <li>otherwise: the round fails, at mount, a read or the audit, with a
     * {@link ChecksumMismatchException} or {@link CorruptImageException} that has a
     * message ({@link NotSupportedException} only when no superblock copy is left).
     * </ul>
     * Never another exception, never a success, and whatever a round reads before it
     * fails is what the mounted generation holds: never wrong data passed off as good.
     * The damage must hit something in a fair share of the rounds, and leave both
     * generations alone in some, or the fuzzing tests nothing.
     */
    @Test
    void randomDamageOnlyEverFailsCleanly() throws IOException {
        Random r = new Random(Seeds.seed("CorruptionTest.fuzz"));
        // One copy of metadata: with dup, damage to a node is healed, not an error (ScrubTest).
        volumes.mkfs(uri, 8 << 20, FormatOptions.defaults().metadataProfile(FormatOptions.SINGLE));
        CowVolume v = volumes.mount(uri);
        Map<String, byte[]> older = new TreeMap<>();
        for (int i = 0; i < 60; i++) {
            byte[] data = ChecksumAlgorithmContract.pattern(100 + i * 300);
            Volumes.write(v, "/f" + i, 0, data);
            older.put("/f" + i, data);
        }
        v.sync();
        long olderGeneration = v.committedGeneration();
        // The next generation rewrites a file and adds one: the two differ in data and metadata.
        Map<String, byte[]> newer = new TreeMap<>(older);
        byte[] rewritten = older.get("/f7").clone();
        for (int i = 0; i < rewritten.length; i++) {
            rewritten[i] ^= 0x5a;
        }
        Volumes.write(v, "/f7", 0, rewritten);
        newer.put("/f7", rewritten);
        byte[] last = ChecksumAlgorithmContract.pattern(30_000);
        Volumes.write(v, "/last", 0, last);
        newer.put("/last", last);
        v.sync();
        long newestGeneration = v.committedGeneration();
        assertEquals(olderGeneration + 1, newestGeneration);
        v.unmount();
        byte[] pristine;
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            ByteBuffer all = ByteBuffer.allocate((int) d.size());
            d.read(all, 0);
            pristine = all.array();
        }
        Generation newest = map(pristine, newestGeneration, newer);
        byte[] withoutNewest = pristine.clone();
        Arrays.fill(withoutNewest, (int) newest.superblock(), (int) newest.superblock() + Superblock.SIZE,
                (byte) 0);
        Generation previous = map(withoutNewest, olderGeneration, older);

        int untouched = 0;
        int fellBack = 0;
        int failed = 0;
        for (int round = 0; round < 150; round++) {
            List<Long> damage = new ArrayList<>();
            try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
                d.write(ByteBuffer.wrap(pristine), 0);
                int writes = 1 + r.nextInt(4);
                for (int k = 0; k < writes; k++) {
                    // Superblocks or the first 2 MiB, where mkfs and the writes put the metadata.
                    long at = r.nextInt(4) == 0 ? Superblock.OFFSETS[r.nextInt(2)] + r.nextInt(Superblock.SIZE)
                            : Superblock.RESERVED_BYTES + r.nextInt(2 << 20);
                    long sector = at - at % 512;
                    ByteBuffer b = ByteBuffer.allocate(512);
                    d.read(b, sector);
                    b.put((int) (at - sector), (byte) r.nextInt(256)).clear();
                    d.write(b, sector);
                }
                // What really changed, read back from the device: a random byte may be the one that was there.
                ByteBuffer now = ByteBuffer.allocate(pristine.length);
                d.read(now, 0);
                int n = pristine.length;
                for (int from = 0, diff; (diff = Arrays.mismatch(now.array(), from, n, pristine, from, n)) >= 0;
                        from += diff + 1) {
                    damage.add((long) from + diff);
                }
            }
            // Which copy mount must take, and whether what it leads to is whole.
            Generation chosen = !newest.superblockTouchedBy(damage) ? newest
                    : !previous.superblockTouchedBy(damage) ? previous : null;
            boolean whole = chosen != null && !chosen.touchedBy(damage);
            String where = "round " + round + ": damage at " + damage + (chosen == null ? ", both superblocks hit"
                    : whole ? ", generation " + chosen.number() + " untouched"
                    : ", generation " + chosen.number() + " damaged");
            try {
                CowVolume m = volumes.mount(uri);
                try {
                    assertTrue(chosen != null, where + ": mounted without a valid superblock");
                    assertEquals(chosen.number(), m.committedGeneration(), where + ": the generation mounted");
                    assertEquals(new ArrayList<>(chosen.files().keySet()), names(m), where);
                    for (Map.Entry<String, byte[]> f : chosen.files().entrySet()) {
                        assertArrayEquals(f.getValue(), Volumes.readAll(m, f.getKey()), where + ": " + f.getKey());
                    }
                    assertEquals(List.of(), m.audit(), where + ": a volume that mounts and reads is consistent");
                } finally {
                    m.abandon();
                }
                assertTrue(whole, where + ": yet it mounted, read back and audited without an error");
                if (chosen == newest) {
                    untouched++;
                } else {
                    fellBack++;
                }
            } catch (IOException e) {
                assertFalse(whole, () -> where + ": yet it failed: " + e);
                assertTrue(e instanceof ChecksumMismatchException || e instanceof CorruptImageException
                        || e instanceof NotSupportedException && chosen == null,
                        () -> where + ": not a checksum or corruption error: " + e);
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), where + ": a message: " + e);
                failed++;
            }
        }
        System.out.printf("random damage: %d rounds left the newest generation whole and read it back, %d fell back "
                + "to the previous one and read it back, %d failed cleanly%n", untouched, fellBack, failed);
        // About half the rounds fail, a third leave the newest generation whole and a tenth fall back: bounds far
        // below those, so that only damage that stopped landing (or stopped missing) trips them.
        assertTrue(failed + fellBack >= 30, "the damage hit the newest generation in at least a fifth of the rounds");
        assertTrue(failed >= 15, "the damage broke the generation mount must take in at least a tenth of the rounds");
        assertTrue(untouched >= 15, "the damage missed the newest generation in at least a tenth of the rounds");
        assertTrue(fellBack >= 1, "some round lost only the newest superblock and mounted the previous generation");
    }
}
