package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.inspect.Owners;
import org.cowstack.storage.cow.meta.BackRefs;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The back-reference tree: after every kind of mapping change, before and after the
 * commit and across a remount or a power cut, the owners it gives equal what the file
 * extents imply; and a lookup reads one span window of it, not the volume.
 */
class BackRefsTest {
    private static final int B = 4096;
    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:backrefs");
    private CowVolume v;

    @BeforeEach
    void mount() throws IOException {
        v = volumes.fresh(uri, 64 << 20);
    }

    @AfterEach
    void unmount() throws IOException {
        if (v != null && !v.isClosed()) {
            v.unmount();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The references the fs tree's extents imply. */
    private static List<BackRefs.Ref> implied(CowVolume v) throws IOException {
        List<BackRefs.Ref> out = new ArrayList<>();
        v.core.trees.get(TreeId.FS).scanAll((k, val) -> {
            if (k.type() == ItemType.EXTENT) {
                ExtentItem e = ExtentItem.decode(val);
                out.add(new BackRefs.Ref(e.physical(), k.objectId(), k.offset(), e.blocks()));
            }
            return true;
        });
        return out;
    }

    /**
     * The references lookups give (pending changes merged) equal those implied; after a
     * commit, so do those stored, and the audit is clean.
     */
    static void assertConsistent(CowVolume v, String when) throws IOException {
        Superblock sb = v.core.committed();
        v.core.treeLock.reading(() -> {
            assertEquals(BackRefs.canonical(implied(v)), BackRefs.canonical(v.core.backRefs.covering(
                    sb.firstDataBlock(), sb.totalBlocks - sb.firstDataBlock())), when + ": lookups");
            return null;
        });
        v.sync();
        v.core.treeLock.reading(() -> {
            assertEquals(BackRefs.canonical(implied(v)), BackRefs.canonical(v.core.backRefs.stored()),
                    when + ": stored");
            return null;
        });
        assertEquals(List.of(), v.audit(), when + ": audit");
        assertEquals(List.of(), v.check().problems(), when + ": check");
    }

    /** The physical block under file block {@code fileBlock} of {@code f}, committed. */
    private long physical(FileHandle f, long fileBlock) throws IOException {
        v.sync();
        long ino = f.stat().inode();
        for (BackRefs.Ref r : v.core.treeLock.reading(() -> implied(v))) {
            if (r.inode() == ino && fileBlock >= r.fileBlock() && fileBlock < r.fileBlock() + r.blocks()) {
                return r.physical() + fileBlock - r.fileBlock();
            }
        }
        throw new AssertionError("file block " + fileBlock + " of inode " + ino + " is not mapped");
    }

    private static List<BlockOwner> files(List<BlockOwner> owners) {
        return owners.stream().filter(o -> o.kind() == BlockOwner.Kind.FILE).toList();
    }

    private static ByteBuffer data(int blocks, int seed) {
        byte[] b = new byte[blocks * B];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    // ------------------------------------------------------------------ operations

    @Test
    void writesHaveTheirFileAsOwner() throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW)) {
            a.write(data(3, 1), 0);
            assertConsistent(v, "written");
            long p = physical(a, 1);
            assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), B)), v.owners(p));
            List<Owners.RangeOwner> range = v.owners(p, 2);
            assertEquals(1, range.size());
            assertEquals(new Owners.RangeOwner(new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), B), p,
                    2), range.get(0));
        }
    }

    @Test
    void anOverwriteMovesTheOwner() throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW)) {
            a.write(data(4, 1), 0);
            v.sync();
            long before = physical(a, 2);
            a.write(data(1, 2), 2 * B);
            assertConsistent(v, "overwritten");
            long after = physical(a, 2);
            assertTrue(before != after, "copied on write");
            assertEquals(List.of(), files(v.owners(before)));
            assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), 2 * B)),
                    files(v.owners(after)));
        }
    }

    @Test
    void aCloneHasTwoOwnersAndOneFileCanOwnABlockTwice() throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(data(4, 1), 0);
            v.sync();
            assertEquals(2L * B, b.cloneRange(a, B, 0, 2 * B));
            assertConsistent(v, "cloned");
            long p = physical(a, 1);
            assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), B),
                    new BlockOwner(BlockOwner.Kind.FILE, "/b", b.stat().inode(), 0)), files(v.owners(p)));

            assertEquals(2L * B, a.cloneRange(a, 0, 8 * B, 2 * B));
            assertConsistent(v, "cloned within one file");
            long q = physical(a, 0);
            assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), 0),
                    new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), 8 * B)), files(v.owners(q)));
            List<Owners.RangeOwner> range = v.owners(q, 2);
            // a at 0 and at 8 (blocks q and q + 1), b at 0 (block q + 1: a's block 1)
            assertEquals(3, range.size(), range.toString());
            assertEquals(new Owners.RangeOwner(new BlockOwner(BlockOwner.Kind.FILE, "/b", b.stat().inode(), 0), q + 1,
                    1), range.get(2));

            // the same file cloned within itself, and the clone cut again before a commit
            a.cloneRange(a, 0, 20 * B, 2 * B);
            a.fallocate(FallocateMode.PUNCH_HOLE, 21 * B, B);
            assertConsistent(v, "cloned and punched in one transaction");
        }
    }

    @Test
    void punchTruncateDeleteDedupeAndFallocate() throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(data(8, 1), 0);
            b.write(data(8, 1), 0);
            v.sync();
            long punched = physical(a, 3);
            a.fallocate(FallocateMode.PUNCH_HOLE, 3 * B, 2 * B);
            assertConsistent(v, "punched");
            assertEquals(List.of(), files(v.owners(punched)));

            long cut = physical(a, 7);
            a.truncate(6 * B + 10);
            assertConsistent(v, "truncated");
            assertEquals(List.of(), files(v.owners(cut)));

            assertEquals(3L * B, b.dedupeRange(a, 0, 0, 3 * B).bytesDeduped());
            assertConsistent(v, "deduped");
            assertEquals(2, files(v.owners(physical(a, 0))).size());

            a.fallocate(FallocateMode.ALLOCATE, 16 * B, 4 * B);
            assertConsistent(v, "preallocated");
            assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/a", a.stat().inode(), 17 * B)),
                    files(v.owners(physical(a, 17))), "unwritten extents own their blocks");
            a.write(data(1, 3), 17 * B);
            assertConsistent(v, "written into preallocated");

            a.fallocate(FallocateMode.ZERO_RANGE, 0, 2 * B);
            assertConsistent(v, "zeroed");
            b.fallocate(FallocateMode.UNSHARE, 0, 8 * B);
            assertConsistent(v, "unshared");
        }
        long last = -1;
        try (FileHandle b = v.open("/b", Volumes.RW)) {
            last = physical(b, 5);
        }
        v.delete("/b");
        assertConsistent(v, "deleted");
        assertEquals(List.of(), files(v.owners(last)));
    }

    @Test
    void aLongExtentIsOwnedEverywhere() throws IOException {
        int blocks = 3000;
        try (FileHandle a = v.open("/long", Volumes.RW)) {
            a.write(data(blocks, 5), 0);
            assertConsistent(v, "long write");
            for (long fb : new long[] {0, 1023, 1024, 2047, 2048, 2999}) {
                assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/long", a.stat().inode(), fb * B)),
                        files(v.owners(physical(a, fb))), "file block " + fb);
            }
            long p = physical(a, 1000);
            List<Owners.RangeOwner> range = v.owners(p, 100);
            long covered = range.stream().mapToLong(Owners.RangeOwner::blocks).sum();
            assertEquals(100, covered, range.toString());
            assertEquals(1000L * B, range.get(0).owner().offset());
        }
    }

    /** More offsets of one file over one block than one item holds: the list goes on in chunks. */
    @Test
    void oneBlockClonedToManyOffsetsOfOneFile() throws IOException {
        int copies = 300;
        try (FileHandle a = v.open("/a", Volumes.RW)) {
            a.write(data(1, 4), 0);
            v.sync();
            for (int i = 1; i <= copies; i++) {
                a.cloneRange(a, 0, 2L * i * B, B);
            }
            assertConsistent(v, "cloned " + copies + " times");
            long p = physical(a, 0);
            assertEquals(copies + 1, files(v.owners(p)).size());
            for (int i = 1; i <= copies; i += 2) {
                a.fallocate(FallocateMode.PUNCH_HOLE, 2L * i * B, B);
            }
            assertConsistent(v, "every other clone punched");
            assertEquals(copies / 2 + 1, files(v.owners(p)).size());
        }
        v.unmount();
        v = volumes.mount(uri);
        assertConsistent(v, "remounted");
    }

    @Test
    void backReferencesPersistAcrossARemount() throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(data(6, 1), 0);
            v.sync();
            b.cloneRange(a, 0, 0, 3 * B);
            a.fallocate(FallocateMode.PUNCH_HOLE, B, B);
        }
        v.unmount();
        v = volumes.mount(uri);
        assertConsistent(v, "remounted");
        CowVolume ro = v;
        v.unmount();
        v = volumes.mount(uri, MountOptions.defaults().readOnly(true));
        try (FileHandle a = v.open("/a", java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
            v.core.treeLock.reading(() -> {
                assertEquals(BackRefs.canonical(implied(v)), BackRefs.canonical(v.core.backRefs.stored()));
                return null;
            });
            assertTrue(ro.isClosed());
        }
    }

    @Test
    void aPowerCutLeavesTheBackReferencesOfTheLastCommit() throws IOException {
        MemDeviceProvider mem = new MemDeviceProvider();
        Volumes plain = new Volumes(mem);
        URI disk = URI.create("mem:backref-cut");
        plain.mkfs(disk, 32 << 20, FormatOptions.defaults());
        URI faultyUri = URI.create("faulty:" + disk);
        FaultyDeviceProvider faulty = new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null);
        long seed = Seeds.seed("BackRefsTest.cut");
        for (int cutAt = 1; cutAt <= 40; cutAt += 3) {
            CowVolume c = CowVolume.mount("test", faultyUri, faulty.open(faultyUri, OpenOptions.readWrite()),
                    Volumes.SERVICES, MountOptions.defaults(), CowVolume.DEFAULT_CACHE_BYTES);
            FaultControl control = (FaultControl) c.boundDevice();
            control.seed(seed + cutAt);
            control.powerCutAtWrite(cutAt);
            try {
                randomOperations(c, new Random(seed + cutAt), 30, false);
            } catch (IOException expected) {
                // the power failed under an operation
            }
            c.abandon();
            CowVolume after = plain.mount(disk);
            try {
                assertConsistent(after, "after a cut at write " + cutAt + " (seed " + seed + ")");
            } finally {
                after.unmount();
            }
        }
    }

    @Test
    void randomOperationsKeepTheTreeEqualToTheExtents() throws IOException {
        long seed = Seeds.seed("BackRefsTest.random");
        System.out.println("BackRefsTest random seed " + seed);
        randomOperations(v, new Random(seed), 300, true);
        v.unmount();
        v = volumes.mount(uri);
        assertConsistent(v, "remounted after random operations (seed " + seed + ")");
    }

    /** Writes, clones (also within a file), punches, truncates, dedupes, preallocates and deletes at random. */
    private static void randomOperations(CowVolume v, Random r, int ops, boolean check) throws IOException {
        for (int op = 0; op < ops; op++) {
            String path = "/f" + r.nextInt(5);
            String other = "/f" + r.nextInt(5);
            int what = r.nextInt(100);
            try (FileHandle f = v.open(path, Volumes.RW); FileHandle g = v.open(other, Volumes.RW)) {
                long at = (long) r.nextInt(64) * B;
                int len = (1 + r.nextInt(r.nextInt(6) == 0 ? 1500 : 16)) * B;
                if (what < 35) {
                    byte[] d = new byte[len - (r.nextBoolean() ? 0 : r.nextInt(B))];
                    r.nextBytes(d);
                    f.write(ByteBuffer.wrap(d), at + (r.nextBoolean() ? 0 : r.nextInt(B)));
                } else if (what < 50) {
                    long size = g.size() / B * B;
                    if (size > 0) {
                        long from = (long) r.nextInt((int) (size / B)) * B;
                        long n = Math.min(len, size - from);
                        if (!path.equals(other) || from + n <= at || at + n <= from) {
                            f.cloneRange(g, from, at, n);
                        }
                    }
                } else if (what < 58) {
                    f.fallocate(FallocateMode.PUNCH_HOLE, at, len);
                } else if (what < 66) {
                    f.truncate((long) r.nextInt(80) * B + r.nextInt(B));
                } else if (what < 72) {
                    if (!path.equals(other)) {
                        byte[] d = new byte[Math.min(len, 32 * B)];
                        r.nextBytes(d);
                        f.write(ByteBuffer.wrap(d), at);
                        g.write(ByteBuffer.wrap(d), at);
                        assertEquals(d.length, f.dedupeRange(g, at, at, d.length).bytesDeduped());
                    }
                } else if (what < 80) {
                    f.fallocate(r.nextBoolean() ? FallocateMode.ALLOCATE : FallocateMode.ALLOCATE_KEEP_SIZE, at, len);
                } else if (what < 84) {
                    f.fallocate(FallocateMode.UNSHARE, 0, Math.max(B, f.size()));
                } else if (what < 90) {
                    f.fsync();
                }
            }
            if (what >= 90 && what < 95) {
                v.delete(path);
            }
            if (check && op % 25 == 24) {
                assertConsistent(v, "after operation " + op);
            }
        }
    }

    /**
     * A lookup reads the records of one span window of the tree: in a volume of 10,000
     * files, the owners of a block read at most a window's records, not every extent.
     */
    @Test
    void aLookupReadsOneWindowNotTheVolume() throws IOException {
        int files = 10_000;
        for (int d = 0; d < files / 100; d++) {
            v.mkdir("/d" + d);
            for (int i = 0; i < 100; i++) {
                Volumes.write(v, "/d" + d + "/f" + i, 0, new byte[] {(byte) i, 1, 2});
            }
        }
        v.sync();
        long extents = v.core.treeLock.reading(() -> (long) implied(v).size());
        assertEquals(files, extents);
        long target;
        try (FileHandle f = v.open("/d57/f42", Volumes.RW)) {
            target = physical(f, 0);
        }
        long before = v.core.backRefs.itemsRead();
        List<BlockOwner> owners = v.owners(target);
        long read = v.core.backRefs.itemsRead() - before;
        long lookupNanos = Long.MAX_VALUE;
        long scanNanos = Long.MAX_VALUE;
        long scanned = 0;
        for (int i = 0; i < 5; i++) { // warm: the best of five
            long t0 = System.nanoTime();
            v.owners(target);
            lookupNanos = Math.min(lookupNanos, System.nanoTime() - t0);
            t0 = System.nanoTime();
            scanned = v.core.treeLock.reading(() -> v.core.trees.get(TreeId.FS).count());
            scanNanos = Math.min(scanNanos, System.nanoTime() - t0);
        }
        System.out.printf("owners: %d us; a scan of the fs tree's %d items (what owners did before): %d us%n",
                lookupNanos / 1000, scanned, scanNanos / 1000);
        assertEquals("/d57/f42", files(owners).get(0).path());
        System.out.printf("owners of block %d among %d extents read %d back-reference items%n", target, extents,
                read);
        assertTrue(read <= BackRefs.SPAN + BackRefs.FANOUT * BackRefs.LEVELS, "read " + read
                + " items: one window at level 0, boundary-crossing records above");
        assertTrue(read * 5 < extents, "read " + read + " items of " + extents);
        before = v.core.backRefs.itemsRead();
        List<Owners.RangeOwner> range = v.owners(target - target % BackRefs.SPAN, 1);
        assertTrue(v.core.backRefs.itemsRead() - before <= 2, "the first block of a window reads its own records");
        assertTrue(range.size() <= 1);
    }
}
