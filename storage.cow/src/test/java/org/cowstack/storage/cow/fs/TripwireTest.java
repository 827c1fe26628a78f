package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.io.DataCopies;
import org.junit.jupiter.api.Test;

/**
 * Three semantics a user trips over, each as the kernel (or better) has it: a full
 * volume takes a write again once a file is removed, in one session; a reflink of data
 * not yet written back shares the blocks (writing back the cloned range only); fiemap
 * lists blocks preallocated past the end of the file.
 */
class TripwireTest {
    private static final int K = 1024;

    /** storage:rm v /fill; storage:io v /g 'pwrite 0 1m' 'fsync' on a full 64 MiB volume, in one process. */
    @Test
    void aFullVolumeTakesWritesAgainOnceAFileIsRemovedWithoutAnExplicitCommit() throws IOException {
        CowVolume v = Volumes.mem().fresh(URI.create("mem:full"), 64 << 20);
        try (FileHandle fill = v.open("/fill", Volumes.RW)) {
            long at = 0;
            try {
                for (;;) {
                    fill.write(Volumes.filled(1 << 20, 0xee), at);
                    at += 1 << 20;
                }
            } catch (NoSpaceException full) {
                // the volume is full
            }
            fill.fsync();
            assertTrue(at > 32 << 20, "filled " + at + " bytes");
        }
        assertThrows(NoSpaceException.class, () -> Volumes.write(v, "/h", 0, new byte[1 << 20]));
        long generation = v.committedGeneration();
        v.delete("/fill");
        assertEquals(generation, v.committedGeneration(), "the rm itself commits nothing");
        try (FileHandle g = v.open("/g", Volumes.RW)) {
            assertEquals(1 << 20, g.write(Volumes.filled(1 << 20, 0x11), 0));
            g.fsync();
        }
        assertArrayEquals(Volumes.filled(1 << 20, 0x11).array(), Volumes.readAll(v, "/g"));
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    /** pwrite a file, then reflink part of it before any fsync: the destination shares the source's blocks. */
    @Test
    void aReflinkOfDataNotYetWrittenBackSharesItsBlocksWritingBackTheClonedRangeOnly() throws IOException {
        CowVolume v = Volumes.mem().fresh(URI.create("mem:reflink"), 64 << 20);
        try (FileHandle src = v.open("/src", Volumes.RW); FileHandle dst = v.open("/dst", Volumes.RW)) {
            src.write(Volumes.filled(1 << 20, 0xab), 0);
            long generation = v.committedGeneration();
            DataCopies.Snapshot before = v.dataCopies();
            assertEquals(256 * K, dst.cloneRange(src, 256 * K, 0, 256 * K));
            assertEquals(generation, v.committedGeneration(), "no commit, no fsync");
            assertEquals(256 * K, v.dataCopies().since(before).atWriteback(),
                    "the cloned range written back, not the whole file");

            List<ExtentMapping> dstMap = dst.extents(0, 0);
            assertEquals(1, dstMap.size(), dstMap.toString());
            ExtentMapping d = dstMap.get(0);
            assertEquals(EnumSet.of(ExtentMapping.Flag.SHARED), d.flags());
            assertEquals(256 * K, d.length());
            long srcPhysical = src.extents(256 * K, 256 * K).get(0).physical();
            assertEquals(srcPhysical, d.physical(), "the same blocks as the source's, block for block");
            assertEquals(256 * K, v.space().shared(), "storage:df counts the shared blocks once");
            assertArrayEquals(Volumes.filled(256 * K, 0xab).array(), Volumes.readAll(v, "/dst"));
        }
        v.unmount();
    }

    /** Dedupe takes the same path: the ranges written back, compared and shared, no commit. */
    @Test
    void aDedupeOfDataNotYetWrittenBackSharesWithoutACommit() throws IOException {
        CowVolume v = Volumes.mem().fresh(URI.create("mem:dedupe"), 64 << 20);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(Volumes.filled(512 * K, 0x5a), 0);
            b.write(Volumes.filled(512 * K, 0x5a), 0);
            long generation = v.committedGeneration();
            DataCopies.Snapshot before = v.dataCopies();
            assertEquals(128 * K, b.dedupeRange(a, 0, 0, 128 * K).bytesDeduped());
            assertEquals(generation, v.committedGeneration(), "no commit");
            assertEquals(256 * K, v.dataCopies().since(before).atWriteback(), "both ranges, nothing else");
            assertEquals(a.extents(0, 128 * K).get(0).physical(), b.extents(0, 128 * K).get(0).physical());
            assertEquals(128 * K, v.space().shared());
        }
        v.unmount();
    }

    /** xfs_io -f -c "pwrite 0 8k" -c "falloc -k 8k 56k" -c "fiemap": the kernel lists the blocks past EOF as unwritten. */
    @Test
    void fiemapListsBlocksPreallocatedPastTheEndOfTheFile() throws IOException {
        CowVolume v = Volumes.mem().fresh(URI.create("mem:pasteof"), 64 << 20);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(Volumes.filled(8 * K, 1), 0);
            f.fallocate(FallocateMode.ALLOCATE_KEEP_SIZE, 8 * K, 56 * K);
            assertEquals(8 * K, f.size());
            assertEquals(64 * K, f.stat().allocated());
            List<ExtentMapping> map = f.extents(0, 0);
            assertEquals(2, map.size(), map.toString());
            assertEquals(EnumSet.noneOf(ExtentMapping.Flag.class), map.get(0).flags());
            assertEquals(8 * K, map.get(0).length());
            assertEquals(8 * K, map.get(1).logical());
            assertEquals(56 * K, map.get(1).length());
            assertEquals(EnumSet.of(ExtentMapping.Flag.UNWRITTEN), map.get(1).flags());
            List<ExtentMapping> past = f.extents(16 * K, 8 * K);
            assertEquals(List.of(new ExtentMapping(16 * K, 8 * K, map.get(1).physical() + 8 * K,
                    EnumSet.of(ExtentMapping.Flag.UNWRITTEN))), past, "a range past EOF lists what is mapped there");
        }
        try (FileHandle e = v.open("/empty", Volumes.RW)) {
            e.fallocate(FallocateMode.ALLOCATE_KEEP_SIZE, 0, 64 * K);
            List<ExtentMapping> map = e.extents(0, 0);
            assertEquals(1, map.size(), map.toString());
            assertEquals(EnumSet.of(ExtentMapping.Flag.UNWRITTEN), map.get(0).flags());
            assertEquals(64 * K, map.get(0).length());
        }
        v.unmount();
    }
}
