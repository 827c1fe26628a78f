package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.junit.jupiter.api.Test;

/**
 * Dedupe's comparison (RangeCompare): ranges of several chunks (so the read-ahead runs),
 * holes and preallocation compared as zeros, a difference in the last chunk found, and
 * data that fails its checksum never compared.
 */
class DedupeCompareTest {
    private static final int LENGTH = (3 << 20) + 5 * 4096 + 100; // three chunks and a partial last block

    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:dedupe-compare-" + System.nanoTime());

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >> 12));
        }
        return b;
    }

    /** Two files of the same content, /b written in pieces around a hole and preallocated blocks that read as zeros. */
    private CowVolume twins(byte[] data) throws IOException {
        volumes.mkfs(uri, 64 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        int hole = 1 << 20;
        int holeEnd = hole + 3 * 4096;
        int falloc = 2 << 20;
        int fallocEnd = falloc + 4 * 4096;
        for (int i = hole; i < holeEnd; i++) {
            data[i] = 0;
        }
        for (int i = falloc; i < fallocEnd; i++) {
            data[i] = 0;
        }
        Volumes.write(v, "/a", 0, data);
        try (FileHandle b = v.open("/b", Volumes.RW)) {
            b.write(ByteBuffer.wrap(data, 0, hole), 0);
            b.fallocate(FallocateMode.ALLOCATE_KEEP_SIZE, falloc, fallocEnd - falloc);
            b.write(ByteBuffer.wrap(data, holeEnd, falloc - holeEnd), holeEnd);
            b.write(ByteBuffer.wrap(data, fallocEnd, data.length - fallocEnd), fallocEnd);
        }
        v.sync();
        return v;
    }

    private static DedupeResult dedupe(CowVolume v) throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            return b.dedupeRange(a, 0, 0, LENGTH);
        }
    }

    @Test
    void equalRangesOfSeveralChunksWithHolesAndPreallocationAreShared() throws IOException {
        byte[] data = pattern(LENGTH);
        CowVolume v = twins(data);
        DedupeResult r = dedupe(v);
        assertFalse(r.differs());
        assertEquals(LENGTH - 7 * 4096, r.bytesDeduped(), "the blocks with data on both sides: not the hole, nor the preallocation");
        assertArrayEquals(data, Volumes.readAll(v, "/b"));
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void aDifferenceInTheLastChunkSharesNothing() throws IOException {
        byte[] data = pattern(LENGTH);
        CowVolume v = twins(data);
        try (FileHandle b = v.open("/b", Volumes.RW)) {
            b.write(ByteBuffer.wrap(new byte[] {(byte) (data[LENGTH - 7] ^ 1)}), LENGTH - 7);
        }
        DedupeResult r = dedupe(v);
        assertTrue(r.differs());
        assertEquals(0, r.bytesDeduped());
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void dataThatFailsItsChecksumIsNeverCompared() throws IOException {
        byte[] data = pattern(LENGTH);
        CowVolume v = twins(data);
        long physical;
        try (FileHandle b = v.open("/b", Volumes.RW)) {
            ExtentMapping last = b.extents(0, 0).stream().filter(e -> e.logical() <= (2L << 20) + 65536
                    && e.logical() + e.length() > (2L << 20) + 65536).findFirst().orElseThrow();
            physical = last.physical() + (2L << 20) + 65536 - last.logical();
        }
        v.unmount();
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
            ByteBuffer block = ByteBuffer.allocate(512);
            d.read(block, physical);
            block.put(7, (byte) (block.get(7) ^ 0x10)).clear();
            d.write(block, physical);
        }
        CowVolume again = volumes.mount(uri);
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> dedupe(again));
        assertEquals("/b", e.file());
        assertEquals((2L << 20) + 65536, e.offset());
        again.unmount();
    }
}
