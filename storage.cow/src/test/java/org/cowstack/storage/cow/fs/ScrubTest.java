package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.scrub.ScrubPass;
import org.cowstack.storage.cow.scrub.ScrubTally;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Scrub, {@code dup} and self-healing reads: bits flipped in many data and metadata
 * blocks (never both copies of one) are all found and all repaired, files keep their
 * content, a second scrub finds nothing; on {@code single} every bad block is found,
 * named with its owners and never returned by a read; media errors on a shared block
 * reach both owners.
 */
class ScrubTest {
    private static final int BS = 4096;
    private final MemDeviceProvider mem = new MemDeviceProvider();
    private final Volumes volumes = new Volumes(mem);
    private final URI uri = URI.create("mem:scrub");

    /** One block that holds something checked: its copies (second 0 when none) and what it is. */
    private record Target(long first, long second, boolean metadata) {
    }

    static ScrubTally scrub(CowVolume v, boolean repair) throws IOException {
        ScrubPass pass = new ScrubPass(v.core, new BlockIo(v.core));
        ScrubTally tally = new ScrubTally();
        long cursor = 0;
        while (cursor >= 0) {
            cursor = pass.scrub(cursor, 4 << 20, repair, tally);
        }
        return tally;
    }

    /** Every written, checksummed data block and every node, each once, with its copies. */
    private static List<Target> targets(CowVolume v) throws IOException {
        Map<Long, Target> out = new LinkedHashMap<>();
        v.core.trees.get(TreeId.FS).scanAll((k, val) -> {
            if (k.type() == ItemType.EXTENT) {
                ExtentItem e = ExtentItem.decode(val);
                if (!e.unwritten() && e.checksummed()) {
                    for (long b = 0; b < e.blocks(); b++) {
                        out.putIfAbsent(e.physical() + b, new Target(e.physical() + b,
                                e.hasMirror() ? e.mirror() + b : 0, false));
                    }
                }
            }
            return true;
        });
        for (BTree t : v.core.trees.all()) {
            t.forEachNode(n -> out.putIfAbsent(n.block(), new Target(n.block(), n.mirror(), true)));
        }
        return new ArrayList<>(out.values());
    }

    private static Map<String, String> md5s(CowVolume v, List<String> files) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String f : files) {
            try {
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                out.put(f, java.util.HexFormat.of().formatHex(md5.digest(Volumes.readAll(v, f))));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /** Files of random content and size, one of them NOCOW, one a reflink of another. */
    private List<String> populate(CowVolume v, Random random) throws IOException {
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String path = "/f" + i;
            try (FileHandle f = v.open(path, Volumes.RW)) {
                if (i == 0) {
                    f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
                }
                byte[] data = new byte[BS * (1 + random.nextInt(200)) - random.nextInt(BS)];
                random.nextBytes(data);
                f.write(ByteBuffer.wrap(data), 0);
            }
            files.add(path);
        }
        try (FileHandle src = v.open("/f1", Volumes.RW); FileHandle clone = v.open("/clone", Volumes.RW)) {
            clone.cloneRange(src, 0, 0, 0);
        }
        files.add("/clone");
        v.sync();
        return files;
    }

    private void flipBit(long block, Random random) throws IOException {
        try (BlockDevice d = mem.open(uri, OpenOptions.readWrite())) {
            ByteBuffer b = ByteBuffer.allocate(BS);
            d.read(b, block * BS);
            int bit = random.nextInt(BS * 8);
            b.put(bit / 8, (byte) (b.get(bit / 8) ^ (1 << (bit % 8))));
            d.write(b.clear(), block * BS);
            d.flush();
        }
    }

    @Test
    void onDupEveryFlippedBlockIsFoundAndRepairedAndASecondScrubFindsNone() throws IOException {
        long seed = Seeds.seed("ScrubTest.dup");
        Random random = new Random(seed);
        CowVolume v = volumes.fresh(uri, 128L << 20,
                FormatOptions.defaults().dataProfile(FormatOptions.DUP).metadataProfile(FormatOptions.DUP));
        List<String> files = populate(v, random);
        Map<String, String> before = md5s(v, files);
        v.unmount();
        CowVolume quiet = volumes.mount(uri); // the blocks of the last commit, as the next mount finds them
        List<Target> all = targets(quiet);
        quiet.unmount();

        java.util.Collections.shuffle(all, random);
        int n = Math.min(all.size(), 1200);
        int[] where = new int[3]; // data copy 1, data copy 2, metadata
        List<Target> chosen = all.subList(0, n);
        for (Target t : chosen) {
            assertTrue(t.second() != 0, "dup: every block has a second copy: " + t);
            boolean second = random.nextBoolean();
            flipBit(second ? t.second() : t.first(), random);
            where[t.metadata() ? 2 : second ? 1 : 0]++;
        }
        System.out.printf("ScrubTest dup: %d blocks flipped (data copy 1: %d, data copy 2: %d, metadata: %d) of %d%n",
                n, where[0], where[1], where[2], all.size());
        assertTrue(n >= 1000 && where[0] > 0 && where[1] > 0 && where[2] > 0, "enough of every kind");

        CowVolume again = volumes.mount(uri);
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        again.core.healing.log(lines::add);
        long total = new ScrubPass(again.core, new BlockIo(again.core)).totalBytes();
        ScrubTally first = scrub(again, true);
        assertEquals(total, first.bytesDone(), "a pass reads what totalBytes said it would");
        // Mount and totalBytes read (and heal) some nodes before the scrub: together they found
        // every one. When they did not, say which flips went unseen.
        if (again.core.healing.found() != n) {
            Set<Long> seen = new HashSet<>();
            for (DamagedRange r : first.damaged()) {
                seen.add(r.physical());
            }
            for (Target t : chosen) {
                if (!seen.contains(t.first()) && !seen.contains(t.second())) {
                    System.out.println("ScrubTest: not found by the scrub: " + t);
                }
            }
            for (String l : lines) {
                if (l.contains("node at block")) {
                    System.out.println("ScrubTest: " + l);
                }
            }
            again.unmount();
            try (BlockDevice d = mem.open(uri, OpenOptions.readOnly())) {
                for (Target t : chosen) {
                    ByteBuffer a = ByteBuffer.allocate(BS);
                    ByteBuffer b = ByteBuffer.allocate(BS);
                    d.read(a, t.first() * BS);
                    d.read(b, t.second() * BS);
                    if (!a.equals(b)) {
                        System.out.println("ScrubTest: copies still differ: " + t);
                    }
                }
            }
        }
        assertEquals(n, again.core.healing.found(), "every flipped block found");
        assertEquals(n, again.core.healing.repaired(), "every flipped block repaired");
        assertEquals(0, first.uncorrectable());
        assertEquals(before, md5s(again, files), "every file unchanged");
        ScrubTally second = scrub(again, true);
        assertEquals(0, second.errors(), "a second scrub finds nothing: " + second.damaged());
        again.unmount();

        CowVolume third = volumes.mount(uri);
        assertEquals(0, scrub(third, false).errors(), "the repairs are on the device");
        assertEquals(List.of(), third.audit());
        third.unmount();
    }

    @Test
    void onSingleEveryFlippedDataBlockIsFoundNamedWithItsOwnersAndNeverReturned() throws IOException {
        long seed = Seeds.seed("ScrubTest.single");
        Random random = new Random(seed);
        CowVolume v = volumes.fresh(uri, 128L << 20, FormatOptions.defaults());
        List<String> files = populate(v, random);
        Map<Long, List<long[]>> owners = new HashMap<>(); // physical -> {inode, byte offset}
        v.core.trees.get(TreeId.FS).scanAll((k, val) -> {
            if (k.type() == ItemType.EXTENT) {
                ExtentItem e = ExtentItem.decode(val);
                for (long b = 0; b < e.blocks(); b++) {
                    owners.computeIfAbsent(e.physical() + b, x -> new ArrayList<>())
                            .add(new long[] {k.objectId(), (k.offset() + b) * BS});
                }
            }
            return true;
        });
        Map<String, byte[]> content = new HashMap<>();
        for (String f : files) {
            content.put(f, Volumes.readAll(v, f));
        }
        List<Target> data = new ArrayList<>(targets(v).stream().filter(t -> !t.metadata()).toList());
        v.unmount();
        java.util.Collections.shuffle(data, random);
        int n = Math.min(300, data.size());
        Set<Long> flipped = new HashSet<>();
        for (Target t : data.subList(0, n)) {
            assertEquals(0, t.second(), "single: one copy");
            flipBit(t.first(), random);
            flipped.add(t.first());
        }

        CowVolume again = volumes.mount(uri);
        ScrubTally tally = scrub(again, true);
        assertEquals(n, tally.errors(), "every flipped block found");
        assertEquals(n, tally.uncorrectable(), "none can be repaired without a copy");
        for (DamagedRange r : tally.damaged()) {
            assertTrue(flipped.contains(r.physical()), "only flipped blocks: " + r);
            Set<String> named = new HashSet<>();
            for (BlockOwner o : r.owners()) {
                named.add(o.inode() + "@" + o.offset());
            }
            Set<String> expected = new HashSet<>();
            for (long[] o : owners.get(r.physical())) {
                expected.add(o[0] + "@" + o[1]);
            }
            assertEquals(expected, named, "owners of block " + r.physical());
        }
        // No read returns a bad block; every other block reads as written.
        int refused = 0;
        for (String f : files) {
            byte[] want = content.get(f);
            try (FileHandle h = again.open(f, java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
                for (long at = 0; at < want.length; at += BS) {
                    ByteBuffer b = ByteBuffer.allocate((int) Math.min(BS, want.length - at));
                    long block = at / BS;
                    long physical = h.extents(at, 1).get(0).physical() / BS;
                    if (flipped.contains(physical)) {
                        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                                () -> h.read(b, block * BS));
                        assertEquals(block * BS, e.offset(), e.getMessage());
                        refused++;
                    } else {
                        h.read(b, at);
                        assertArrayEquals(java.util.Arrays.copyOfRange(want, (int) at, (int) at + b.capacity()),
                                b.array(), f + " at " + at);
                    }
                }
            }
        }
        assertTrue(refused >= n, "every flipped block refused by the reads of its owners: " + refused);
        again.unmount();
    }

    @Test
    void bothCopiesBadIsUncorrectableWithItsOwnerAndTheRestIsRepaired() throws IOException {
        Random random = new Random(Seeds.seed("ScrubTest.both"));
        CowVolume v = volumes.fresh(uri, 64L << 20, FormatOptions.defaults().dataProfile(FormatOptions.DUP));
        Volumes.write(v, "/a", 0, new byte[16 * BS]);
        Volumes.write(v, "/a", 0, bytes(random, 16 * BS));
        v.sync();
        List<Target> data = targets(v).stream().filter(t -> !t.metadata()).toList();
        long inode = v.stat("/a").inode();
        v.unmount();
        Target both = data.get(3);
        flipBit(both.first(), random);
        flipBit(both.second(), random);
        flipBit(data.get(7).first(), random);
        flipBit(data.get(9).second(), random);

        CowVolume again = volumes.mount(uri);
        ScrubTally tally = scrub(again, true);
        assertEquals(4, tally.errors(), tally.damaged().toString());
        assertEquals(2, tally.uncorrectable());
        assertEquals(2, tally.corrected());
        for (DamagedRange r : tally.damaged()) {
            assertEquals(inode, r.owners().get(0).inode());
            assertEquals("/a", r.owners().get(0).path());
            if (!r.repaired()) {
                assertEquals(3L * BS, r.owners().get(0).offset(), r.toString());
            }
        }
        assertEquals(2, scrub(again, true).errors(), "only the block with no good copy stays bad");
        again.unmount();
    }

    @Test
    void aReadOfADupBlockWithABadFirstCopyReturnsTheSecondAndRewritesTheFirst() throws IOException {
        Random random = new Random(Seeds.seed("ScrubTest.read"));
        CowVolume v = volumes.fresh(uri, 64L << 20, FormatOptions.defaults().dataProfile(FormatOptions.DUP));
        byte[] data = bytes(random, 8 * BS);
        try (FileHandle f = v.open("/nocow", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(ByteBuffer.wrap(data), 0);
        }
        v.sync();
        Target t = targets(v).stream().filter(x -> !x.metadata()).toList().get(5);
        v.unmount();
        flipBit(t.first(), random);
        CowVolume again = volumes.mount(uri);
        assertArrayEquals(data, Volumes.readAll(again, "/nocow"), "healed from the second copy");
        assertEquals(1, again.core.healing.found());
        try {
            again.core.repairs.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(1, again.core.repairs.made());
        again.unmount();
        try (BlockDevice d = mem.open(uri, OpenOptions.readOnly())) {
            ByteBuffer a = ByteBuffer.allocate(BS);
            ByteBuffer b = ByteBuffer.allocate(BS);
            d.read(a, t.first() * BS);
            d.read(b, t.second() * BS);
            assertArrayEquals(b.array(), a.array(), "the bad first copy was rewritten");
        }
    }

    @Test
    void aMediaErrorOnABlockSharedByTwoFilesReachesBothOwners() throws IOException {
        for (String profile : List.of(FormatOptions.SINGLE, FormatOptions.DUP)) {
            Volumes wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
            Shared shared = shared(wrapped, profile, new Random(Seeds.seed("ScrubTest.media")));
            byte[] data = shared.data();
            long physical = shared.physical();
            shared.volume().unmount();
            CowVolume v = wrapped.mount(URI.create("faulty:" + uri));
            FaultControl faults = (FaultControl) v.boundDevice();
            long injected = System.nanoTime();
            faults.failRange(physical, BS, true, false);
            ScrubTally tally = scrub(v, true);
            long known = System.nanoTime();
            assertEquals(1, tally.errors(), profile + ": " + tally.damaged());
            DamagedRange r = tally.damaged().get(0);
            assertEquals("media", r.cause());
            assertEquals(physical / BS, r.physical());
            Set<String> owners = new HashSet<>();
            for (BlockOwner o : r.owners()) {
                owners.add(o.path() + "@" + o.offset());
            }
            assertEquals(Set.of("/a@" + 10 * BS, "/b@" + 10 * BS), owners, profile);
            System.out.printf("ScrubTest media error (%s): owners known %.1f ms after injection (by scrub)%n", profile,
                    (known - injected) / 1e6);
            for (String f : List.of("/a", "/b")) {
                try (FileHandle h = v.open(f, Volumes.RW)) {
                    ByteBuffer bad = ByteBuffer.allocate(BS);
                    if (profile.equals(FormatOptions.SINGLE)) {
                        assertThrows(MediaErrorException.class, () -> h.read(bad, 10 * BS));
                        assertFalse(r.repaired());
                    } else {
                        h.read(bad, 10 * BS);
                        assertArrayEquals(java.util.Arrays.copyOfRange(data, 10 * BS, 11 * BS), bad.array());
                        assertTrue(r.repaired());
                    }
                    ByteBuffer good = ByteBuffer.allocate(BS);
                    h.read(good, 11 * BS);
                    assertArrayEquals(java.util.Arrays.copyOfRange(data, 11 * BS, 12 * BS), good.array());
                }
            }
            faults.clearFaults();
            v.unmount();
        }
    }

    @Test
    void poisonTheDeviceReportsIsAnsweredWithoutARead() throws Exception {
        for (String profile : List.of(FormatOptions.SINGLE, FormatOptions.DUP)) {
            Volumes wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
            Shared shared = shared(wrapped, profile, new Random(Seeds.seed("ScrubTest.poison")));
            CowVolume v = shared.volume();
            byte[] data = shared.data();
            long physical = shared.physical();
            long node = v.tree(TreeId.FS).rootBlock();
            FaultControl faults = (FaultControl) v.boundDevice();
            faults.poison(physical, 2 * BS); // blocks 10 and 11 of both files
            faults.poison(node * BS, BS); // the fs tree's root, which has a second copy
            List<org.cowstack.storage.cow.scrub.MediaErrorResponse.Response> answers = v.health.mediaErrors().await(2, 30_000);
            assertEquals(2, answers.size(), profile);
            var data0 = answers.get(0);
            System.out.printf("ScrubTest poison (%s data): owners known %.2f ms after the report, repairs done at"
                    + " %.2f ms; metadata %.2f ms%n", profile, data0.ownersNanos() / 1e6, data0.doneNanos() / 1e6,
                    answers.get(1).doneNanos() / 1e6);
            assertEquals(2, data0.damaged().size(), profile + ": " + data0);
            for (DamagedRange r : data0.damaged()) {
                Set<String> owners = new HashSet<>();
                for (BlockOwner o : r.owners()) {
                    owners.add(o.path() + "@" + o.offset());
                }
                long k = r.physical() - physical / BS + 10;
                assertEquals(Set.of("/a@" + k * BS, "/b@" + k * BS), owners, profile);
                assertEquals(profile.equals(FormatOptions.DUP), r.repaired(), profile + ": " + r);
            }
            DamagedRange root = answers.get(1).damaged().get(0);
            assertEquals("metadata", root.cause());
            assertTrue(root.repaired(), "metadata is dup: " + root);
            for (String f : List.of("/a", "/b")) {
                long ino = v.stat(f).inode();
                v.core.readCache.clear(); // what a cache holds reads right: read the device
                v.core.cache.drop(ino, 0, Long.MAX_VALUE);
                try (FileHandle h = v.open(f, Volumes.RW)) {
                    ByteBuffer b = ByteBuffer.allocate(2 * BS);
                    if (profile.equals(FormatOptions.SINGLE)) {
                        MediaErrorException e = assertThrows(MediaErrorException.class, () -> h.read(b, 10 * BS));
                        assertTrue(e.getMessage().contains(f + " from offset " + 10 * BS), e.getMessage());
                    } else {
                        h.read(b, 10 * BS);
                        assertArrayEquals(java.util.Arrays.copyOfRange(data, 10 * BS, 12 * BS), b.array());
                    }
                    ByteBuffer good = ByteBuffer.allocate(BS);
                    h.read(good, 12 * BS);
                    assertArrayEquals(java.util.Arrays.copyOfRange(data, 12 * BS, 13 * BS), good.array());
                }
            }
            v.unmount();
            if (profile.equals(FormatOptions.DUP)) {
                try (BlockDevice d = mem.open(uri, OpenOptions.readOnly())) {
                    ByteBuffer b = ByteBuffer.allocate(2 * BS);
                    d.read(b, physical);
                    assertArrayEquals(java.util.Arrays.copyOfRange(data, 10 * BS, 12 * BS), b.array(),
                            "the repair rewrote the poisoned copy");
                }
            }
        }
    }

    @Test
    void aScrubPausedAndResumedAfterARestartChecksEveryBlockExactlyOnce() throws Exception {
        Random random = new Random(Seeds.seed("ScrubTest.resume"));
        CowVolume v = volumes.fresh(uri, 128L << 20, FormatOptions.defaults().dataProfile(FormatOptions.DUP));
        populate(v, random);
        long whole = scrub(v, false).blocksChecked();
        v.unmount();

        CowVolume first = volumes.mount(uri);
        first.scrub().start(new org.cowstack.storage.api.scrub.ScrubOptions(true, 4L << 20)); // 4 MiB/s: slow
        org.cowstack.storage.api.scrub.ScrubStatus s;
        do {
            Thread.sleep(50);
            s = first.scrub().status();
        } while (s.blocksChecked() < 200 && s.state() == org.cowstack.storage.api.scrub.ScrubState.RUNNING);
        s = first.scrub().pause();
        assertEquals(org.cowstack.storage.api.scrub.ScrubState.PAUSED, s.state());
        long before = s.blocksChecked();
        assertTrue(before > 0 && before < whole, before + " of " + whole);
        first.unmount(); // the process stops

        CowVolume again = volumes.mount(uri);
        assertEquals(org.cowstack.storage.api.scrub.ScrubState.PAUSED, again.scrub().status().state());
        assertEquals(before, again.scrub().status().blocksChecked(), "the tally survives the restart");
        again.scrub().limit(0);
        again.scrub().resume();
        s = again.scrub().await(60_000);
        assertEquals(org.cowstack.storage.api.scrub.ScrubState.FINISHED, s.state(), String.valueOf(s));
        assertEquals(whole, s.blocksChecked(), "every block checked once in total, paused at " + before);
        assertEquals(0, s.errors());
        assertEquals(s.bytesTotal(), s.bytesDone(), "done is the whole");
        again.unmount();
    }

    /** A volume on {@code faulty:} with 32 blocks of {@code /a} reflinked to {@code /b}, and where their block 10 is (bytes). */
    private record Shared(CowVolume volume, byte[] data, long physical) {
    }

    private Shared shared(Volumes wrapped, String dataProfile, Random random) throws IOException {
        volumes.mkfs(uri, 64L << 20, FormatOptions.defaults().dataProfile(dataProfile));
        CowVolume v = wrapped.mount(URI.create("faulty:" + uri));
        byte[] data = bytes(random, 32 * BS);
        Volumes.write(v, "/a", 0, data);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            b.cloneRange(a, 0, 0, 0);
        }
        v.sync();
        try (FileHandle a = v.open("/a", Volumes.RW)) {
            return new Shared(v, data, a.extents(10 * BS, 1).get(0).physical());
        }
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
