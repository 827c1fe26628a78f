package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.junit.jupiter.api.Test;

/** Per-block sharing: the P2 scenario, clone and dedupe semantics, NOCOW in place, the reverse map. */
class SharingTest {
    private static final int K = 1024;

    private static byte[] fill(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Physical byte address of each 4 KiB block of the file, -1 for a hole. */
    private static long[] physicalBlocks(FileHandle f, int blocks) throws IOException {
        long[] out = new long[blocks];
        Arrays.fill(out, -1);
        for (ExtentMapping m : f.extents(0, 0)) {
            for (long at = m.logical(); at < m.logical() + m.length(); at += 4 * K) {
                if (m.physical() >= 0 && at / (4 * K) < blocks) {
                    out[(int) (at / (4 * K))] = m.physical() + (at - m.logical());
                }
            }
        }
        return out;
    }

    private static boolean anyShared(FileHandle f) throws IOException {
        return f.extents(0, 0).stream().anyMatch(m -> m.flags().contains(ExtentMapping.Flag.SHARED));
    }

    /** DESIGN P2 on a NOCOW file: falloc 8k 24k; pwrite 12k 8k; reflink file 8k 0 4k. */
    private static void p2(FileHandle f) throws IOException {
        f.fallocate(FallocateMode.ALLOCATE, 8 * K, 24 * K);
        f.write(ByteBuffer.wrap(fill(8 * K, 0xcd)), 12 * K);
        assertEquals(4 * K, f.cloneRange(f, 8 * K, 0, 4 * K));
    }

    private static void checkP2Content(CowVolume v) throws IOException {
        byte[] expected = new byte[32 * K];
        Arrays.fill(expected, 12 * K, 20 * K, (byte) 0xcd);
        assertArrayEquals(expected, Volumes.readAll(v, "/file1"));
    }

    @Test
    void p2TheWrittenRangeStaysInPlaceAndNothingIsShared() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:p2");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try (FileHandle f = v.open("/file1", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.fallocate(FallocateMode.ALLOCATE, 8 * K, 24 * K);
            long[] before = physicalBlocks(f, 8);
            f.write(ByteBuffer.wrap(fill(8 * K, 0xcd)), 12 * K);
            assertEquals(4 * K, f.cloneRange(f, 8 * K, 0, 4 * K));
            assertEquals(32 * K, f.size());
            long[] after = physicalBlocks(f, 8);
            assertEquals(before[3], after[3], "12k-16k written in place");
            assertEquals(before[4], after[4], "16k-20k written in place");
            assertEquals(-1, after[0], "the unwritten source block became a hole in the destination, as on XFS");
            assertFalse(anyShared(f), f.extents(0, 0).toString());
            List<ExtentMapping> map = f.extents(12 * K, 8 * K);
            assertEquals(1, map.size(), map.toString());
            assertEquals(Set.of(), map.get(0).flags(), "written, checksummed, not shared");
        }
        checkP2Content(v);
        assertEquals(List.of(), v.audit());
        v.unmount();
        CowVolume again = volumes.mount(uri);
        checkP2Content(again);
        again.unmount();
    }

    @Test
    void p2OnAFullVolumeNeverFailsAtFlushAndStaysWritable() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:p2full");
        CowVolume v = volumes.fresh(uri, 16 << 20);
        try (FileHandle f = v.open("/file1", Volumes.RW); FileHandle filler = v.open("/filler", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.fallocate(FallocateMode.ALLOCATE, 8 * K, 24 * K);
            long at = 0;
            for (int chunk : new int[] {256 * K, 4 * K}) {
                while (true) {
                    try {
                        filler.write(ByteBuffer.wrap(fill(chunk, 0x11)), at);
                        at += chunk;
                    } catch (NoSpaceException e) {
                        break;
                    }
                }
            }
            filler.fsync();
            assertEquals(0, v.space().free(), "filled to the last block: " + v.space());
            assertThrows(NoSpaceException.class, () -> filler.write(ByteBuffer.wrap(fill(4 * K, 1)), filler.size()));
            long[] before = physicalBlocks(f, 8);

            p2(f);
            f.fsync(); // the flush after the reflink: no ENOSPC
            checkP2Content(v);
            assertEquals(before[3], physicalBlocks(f, 8)[3]);

            f.write(ByteBuffer.wrap(fill(8 * K, 0xab)), 12 * K); // the NOCOW overwrite, in place
            f.fsync();
            long[] after = physicalBlocks(f, 8);
            assertEquals(before[3], after[3]);
            assertEquals(before[4], after[4]);
            byte[] got = new byte[8 * K];
            f.read(ByteBuffer.wrap(got), 12 * K);
            assertArrayEquals(fill(8 * K, 0xab), got);
            // Still writable: metadata changes, a delete, and space comes back.
            v.mkdir("/still-writable");
            filler.truncate(0);
            f.fsync();
            Volumes.write(v, "/after", 0, fill(64 * K, 0x22));
            v.sync();
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void afterACloneAWriteChangesOnlyTheFileWritten() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:clone");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        byte[] data = new byte[1 << 20];
        new java.util.Random(1).nextBytes(data);
        Volumes.write(v, "/a", 0, data);
        v.sync();
        for (Set<FileFlag> flags : List.of(Set.<FileFlag>of(), Set.of(FileFlag.NOCOW))) {
            String name = "/b" + flags.size();
            try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open(name, Volumes.RW)) {
                b.setFlags(flags, Set.of());
                assertEquals(data.length, b.cloneRange(a, 0, 0, 0));
                assertTrue(anyShared(b), "shared after the clone");
                assertEquals(v.space().shared(), data.length, v.space().toString());
                b.write(ByteBuffer.wrap(fill(4 * K, 0x77)), 8 * K);
                b.writeDirect(ByteBuffer.wrap(fill(4 * K, 0x78)), 16 * K);
                b.fsync();
            }
            assertArrayEquals(data, Volumes.readAll(v, "/a"), "the source kept its data");
            byte[] expected = data.clone();
            Arrays.fill(expected, 8 * K, 12 * K, (byte) 0x77);
            Arrays.fill(expected, 16 * K, 20 * K, (byte) 0x78);
            assertArrayEquals(expected, Volumes.readAll(v, name));
            v.delete(name);
        }
        assertEquals(0, v.space().shared());
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void cloneOfPagesNotYetWrittenBackCopiesThem() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:clonedirty");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(fill(64 * K, 1)), 0);
            a.fsync();
            a.write(ByteBuffer.wrap(fill(8 * K, 2)), 16 * K); // dirty, not yet on disk
            assertEquals(64 * K, b.cloneRange(a, 0, 0, 0));
            a.write(ByteBuffer.wrap(fill(4 * K, 3)), 16 * K); // after the clone: a only
        }
        byte[] b = fill(64 * K, 1);
        Arrays.fill(b, 16 * K, 24 * K, (byte) 2);
        assertArrayEquals(b, Volumes.readAll(v, "/b"));
        byte[] a = b.clone();
        Arrays.fill(a, 16 * K, 20 * K, (byte) 3);
        assertArrayEquals(a, Volumes.readAll(v, "/a"));
        assertEquals(List.of(), v.audit());
        v.unmount();
        CowVolume again = volumes.mount(uri);
        assertArrayEquals(b, Volumes.readAll(again, "/b"));
        assertArrayEquals(a, Volumes.readAll(again, "/a"));
        again.unmount();
    }

    /** The FICLONERANGE refusals of xfstests generic/157 and generic/518, and the cases that succeed. */
    @Test
    void cloneRefusesWhatLinuxRefuses() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:clonerules");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        v.mkdir("/dir");
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(fill(64 * K + 100, 1)), 0); // a partial last block
            b.write(ByteBuffer.wrap(fill(128 * K, 2)), 0);
            // unaligned offsets, unaligned length not at EOF
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, 1, 0, 4 * K));
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, 0, 512, 4 * K));
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, 0, 0, 4 * K + 1));
            // source offset at or past EOF
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, 68 * K, 0, 4 * K));
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, 128 * K, 0, 0));
            assertEquals(0, b.cloneRange(a, 64 * K + 100, 0, 0), "length 0 at exactly EOF clones nothing");
            // overlapping ranges in one file
            InvalidArgumentException overlap = assertThrows(InvalidArgumentException.class,
                    () -> b.cloneRange(b, 0, 4 * K, 8 * K));
            assertTrue(overlap.getMessage().contains("do not overlap"), overlap.getMessage());
            // generic/518: a partial EOF block may not land inside the destination
            InvalidArgumentException inside = assertThrows(InvalidArgumentException.class,
                    () -> b.cloneRange(a, 60 * K, 0, 0));
            assertTrue(inside.getMessage().contains("end of file"), inside.getMessage());
            assertArrayEquals(fill(128 * K, 2), read(b, 0, 128 * K), "refusals changed nothing");
            // ... but at the destination's EOF it may, and the size becomes exact
            assertEquals(4 * K + 100, b.cloneRange(a, 60 * K, 128 * K, 0));
            assertEquals(132 * K + 100, b.size());
            // past EOF: allowed, leaving a hole
            assertEquals(4 * K, b.cloneRange(a, 0, 256 * K, 4 * K));
            assertEquals(260 * K, b.size());
            assertArrayEquals(new byte[100 * K], read(b, 156 * K, 100 * K));
            // a length past the source's EOF is refused, as the kernel does (only dedupe shortens)
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, 60 * K, 512 * K, 1 << 20));
            assertEquals(260 * K, b.size());
            // a negative argument
            assertThrows(InvalidArgumentException.class, () -> b.cloneRange(a, -4096, 0, 4 * K));
        }
        try (FileHandle readOnly = v.open("/b", EnumSet.of(StandardOpenOption.READ));
                FileHandle a = v.open("/a", Volumes.RW)) {
            assertThrows(ReadOnlyException.class, () -> readOnly.cloneRange(a, 0, 0, 4 * K));
        }
        IOException dir = assertThrows(IOException.class, () -> v.open("/dir", Volumes.RW));
        assertTrue(dir.getMessage().contains("is a directory"), dir.getMessage());
        v.unmount();
        CowVolume ro = volumes.mount(uri, MountOptions.defaults().readOnly(true));
        try (FileHandle a = ro.open("/a", EnumSet.of(StandardOpenOption.READ))) {
            assertThrows(ReadOnlyException.class, () -> a.cloneRange(a, 0, 128 * K, 4 * K));
        }
        ro.unmount();
    }

    @Test
    void cloneBetweenVolumesIsRefused() throws IOException {
        Volumes volumes = Volumes.mem();
        URI one = URI.create("mem:xv1");
        URI two = URI.create("mem:xv2");
        volumes.mkfs(one, 16 << 20, FormatOptions.defaults());
        volumes.mkfs(two, 16 << 20, FormatOptions.defaults());
        CowVolume v1 = volumes.mount(one);
        CowVolume v2 = volumes.mount(two);
        try (FileHandle a = v1.open("/a", Volumes.RW); FileHandle b = v2.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(fill(8 * K, 1)), 0);
            IOException e = assertThrows(org.cowstack.storage.api.CrossVolumeException.class,
                    () -> b.cloneRange(a, 0, 0, 0));
            assertTrue(e.getMessage().contains("different volumes"), e.getMessage());
            assertThrows(org.cowstack.storage.api.CrossVolumeException.class, () -> b.dedupeRange(a, 0, 0, 4 * K));
        }
        v1.unmount();
        v2.unmount();
    }

    private static byte[] read(FileHandle f, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        f.read(b, offset);
        return b.array();
    }

    @Test
    void dedupeSharesOnlyIdenticalDataAndReportsWhatItShared() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:dedupe");
        CowVolume v = volumes.fresh(uri, 128 << 20);
        byte[] data = new byte[1 << 20];
        new java.util.Random(2).nextBytes(data);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(data), 0);
            b.write(ByteBuffer.wrap(data), 0);
            b.write(ByteBuffer.wrap(fill(1, 9)), 512 * K + 7); // one byte differs
            DedupeResult differs = b.dedupeRange(a, 0, 0, 1 << 20);
            assertTrue(differs.differs());
            assertEquals(0, differs.bytesDeduped());
            assertFalse(anyShared(a) || anyShared(b), "nothing shared when they differ");
            DedupeResult same = b.dedupeRange(a, 0, 0, 512 * K);
            assertEquals(new DedupeResult(512 * K, false), same);
            assertTrue(b.extents(0, 512 * K).stream().allMatch(m -> m.flags().contains(ExtentMapping.Flag.SHARED)));
            assertEquals(new DedupeResult(0, false), b.dedupeRange(a, 0, 0, 0), "length 0 changes nothing");
            // not block aligned and not at both EOFs: rounded down to whole blocks
            assertEquals(new DedupeResult(8 * K, false), b.dedupeRange(a, 520 * K, 520 * K, 8 * K + 100));
            // the destination range must lie within the destination's EOF (generic/158)
            assertThrows(InvalidArgumentException.class, () -> b.dedupeRange(a, 0, 1020 * K, 8 * K));
        }
        assertArrayEquals(data, Volumes.readAll(v, "/a"));
        byte[] b = data.clone();
        b[512 * K + 7] = 9;
        assertArrayEquals(b, Volumes.readAll(v, "/b"));
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void dedupeNeverTurnsHolesOrPreallocatedBlocksIntoSharedData() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:dedupeholes");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(new byte[64 * K]), 0); // zeros, written
            b.truncate(32 * K); // a hole
            b.fallocate(FallocateMode.ALLOCATE, 32 * K, 32 * K); // preallocated
            DedupeResult r = b.dedupeRange(a, 0, 0, 64 * K);
            assertEquals(new DedupeResult(0, false), r, "equal (all zeros) but nothing is data on both sides");
            assertEquals(-1, b.extents(0, 32 * K).get(0).physical(), "still a hole");
            assertTrue(b.extents(32 * K, 32 * K).get(0).flags().contains(ExtentMapping.Flag.UNWRITTEN));
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void dedupeIsCappedAt16MiB() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:dedupecap");
        CowVolume v = volumes.fresh(uri, 128 << 20);
        byte[] data = fill(20 << 20, 0x3c);
        Volumes.write(v, "/a", 0, data);
        Volumes.write(v, "/b", 0, data);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            assertEquals(new DedupeResult(16 << 20, false), b.dedupeRange(a, 0, 0, 20 << 20));
        }
        v.unmount();
    }

    @Test
    void nocowChangesOnlyOnEmptyFilesAndNodatasumAnyTime() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:chattr");
        CowVolume v = volumes.fresh(uri, 16 << 20);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(ByteBuffer.wrap(fill(4 * K, 1)), 0);
            f.fsync(); // checksummed or not is decided when a block is written
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> f.setFlags(Set.of(FileFlag.NOCOW), Set.of()));
            assertTrue(e.getMessage().contains("empty file"), e.getMessage());
            f.setFlags(Set.of(FileFlag.NODATASUM), Set.of());
            f.write(ByteBuffer.wrap(fill(4 * K, 2)), 4 * K);
            List<ExtentMapping> map = f.extents(0, 0);
            assertEquals(Set.of(), map.get(0).flags(), map.toString());
            assertEquals(Set.of(ExtentMapping.Flag.NODATASUM), map.get(map.size() - 1).flags(), map.toString());
            assertEquals(Set.of(FileFlag.NODATASUM), f.stat().flags());
            f.setFlags(Set.of(), Set.of(FileFlag.NODATASUM));
            assertEquals(Set.of(), f.stat().flags());
        }
        v.unmount();
        CowVolume again = volumes.mount(uri);
        assertEquals(Set.of(), again.stat("/f").flags());
        again.unmount();
    }

    @Test
    void punchZeroAndUnshareDoWhatTheySay() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:falloc");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(fill(64 * K, 5)), 0);
            a.fsync();
            long allocated = a.stat().allocated();
            a.fallocate(FallocateMode.PUNCH_HOLE, 8 * K, 16 * K);
            assertEquals(allocated - 16 * K, a.stat().allocated());
            assertEquals(64 * K, a.size());
            a.fallocate(FallocateMode.ZERO_RANGE, 60 * K, 8 * K);
            assertEquals(68 * K, a.size());
            List<ExtentMapping> zeroed = a.extents(60 * K, 8 * K);
            assertTrue(zeroed.stream().allMatch(m -> m.flags().contains(ExtentMapping.Flag.UNWRITTEN)), zeroed.toString());
            a.fallocate(FallocateMode.ALLOCATE_KEEP_SIZE, 68 * K, 32 * K);
            assertEquals(68 * K, a.size(), "-k keeps the size");
            byte[] expected = fill(68 * K, 5);
            Arrays.fill(expected, 8 * K, 24 * K, (byte) 0);
            Arrays.fill(expected, 60 * K, 68 * K, (byte) 0);
            assertArrayEquals(expected, read(a, 0, 68 * K));
            // unshare: the clone's blocks become private again
            b.cloneRange(a, 0, 0, 0);
            assertTrue(anyShared(b));
            b.fallocate(FallocateMode.UNSHARE, 0, 68 * K);
            assertFalse(anyShared(b), b.extents(0, 0).toString());
            assertArrayEquals(expected, read(b, 0, 68 * K));
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void theReverseMapNamesEveryOwnerOfABlock() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:owners");
        CowVolume v = volumes.fresh(uri, 16 << 20);
        v.mkdir("/d");
        try (FileHandle a = v.open("/d/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(ByteBuffer.wrap(fill(16 * K, 5)), 0);
            a.fsync(); // pages not yet on disk would be copied, not shared
            b.cloneRange(a, 8 * K, 4 * K, 4 * K);
            long block = a.extents(8 * K, 4 * K).get(0).physical() / v.blockSize();
            List<BlockOwner> owners = v.owners(block);
            assertEquals(List.of(new BlockOwner(BlockOwner.Kind.FILE, "/d/a", a.stat().inode(), 8 * K),
                    new BlockOwner(BlockOwner.Kind.FILE, "/b", b.stat().inode(), 4 * K)),
                    owners.stream().sorted(java.util.Comparator.comparing(BlockOwner::path).reversed()).toList());
        }
        assertEquals(List.of(new BlockOwner(BlockOwner.Kind.RESERVED, "superblocks", -1, -1)), v.owners(0));
        assertThrows(InvalidArgumentException.class, () -> v.owners(-1));
        assertThrows(InvalidArgumentException.class, () -> v.owners(1L << 40));
        v.unmount();
    }
}
