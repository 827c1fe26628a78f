package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clone costs metadata in proportion to the extents cloned, never to the bytes: the
 * count of metadata nodes the clone's commit writes is the measure (printed for the
 * record; benchmarks time it).
 */
class CloneCostTest {
    @TempDir
    Path dir;

    /** Nodes written by the commit of one clone of all of {@code /src} to a new file. */
    private static int cloneCost(CowVolume v, String target) throws IOException {
        v.sync();
        try (FileHandle src = v.open("/src", Volumes.RW); FileHandle dst = v.open(target, Volumes.RW)) {
            v.sync();
            dst.cloneRange(src, 0, 0, 0);
            v.sync();
            return v.nodesWrittenByLastCommit();
        }
    }

    @Test
    void aSingleExtentCostsTheSameAt16MiBAnd1GiB() throws IOException {
        Volumes volumes = new Volumes(new FileDeviceProvider());
        URI uri = dir.resolve("big.img").toUri();
        CowVolume v = volumes.fresh(uri, 1100L << 20);
        int[] costs = new int[2];
        long[] sizes = {16L << 20, 1L << 30};
        for (int i = 0; i < sizes.length; i++) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(4 << 20);
            try (FileHandle f = v.open("/src", Volumes.RW)) {
                f.truncate(0);
                v.sync();
                // Preallocated in one run, then written in place: one extent however long.
                f.fallocate(org.cowstack.storage.api.volume.FallocateMode.ALLOCATE, 0, sizes[i]);
                for (long at = 0; at < sizes[i]; at += chunk.capacity()) {
                    f.writeDirect(chunk.clear(), at);
                }
                List<ExtentMapping> map = f.extents(0, 0);
                assertEquals(1, map.size(), "one extent: " + map);
            }
            costs[i] = cloneCost(v, "/clone" + i);
            System.out.printf("clone of %d MiB in one extent: %d metadata nodes written by its commit%n",
                    sizes[i] >> 20, costs[i]);
            v.delete("/clone" + i);
        }
        assertEquals(costs[0], costs[1], "the same metadata for 64 times the bytes");
        assertTrue(costs[1] <= 12, "a handful of nodes: " + costs[1]);
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    @Test
    void manyExtentsCostInProportionToTheirNumber() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:manyextents");
        CowVolume v = volumes.fresh(uri, 256L << 20, FormatOptions.defaults().blockSize(512));
        int[] counts = {10_000, 100_000};
        int[] costs = new int[counts.length];
        byte[] block = new byte[512];
        for (int i = 0; i < counts.length; i++) {
            try (FileHandle f = v.open("/src", Volumes.RW)) {
                f.truncate(0);
                for (int e = 0; e < counts[i]; e++) {
                    block[0] = (byte) e;
                    f.write(ByteBuffer.wrap(block), 2L * e * 512); // every other block: one extent each
                }
                f.fsync();
                assertEquals(2 * counts[i] - 1, f.extents(0, 0).size(), "extents and holes between them");
            }
            costs[i] = cloneCost(v, "/clone" + i);
            System.out.printf("clone of %d extents: %d metadata nodes written by its commit (%.1f extents per node)%n",
                    counts[i], costs[i], (double) counts[i] / costs[i]);
            assertArrayEquals(Volumes.readAll(v, "/src"), Volumes.readAll(v, "/clone" + i));
            v.delete("/clone" + i);
        }
        double ratio = (double) costs[1] / costs[0];
        assertTrue(ratio > 5 && ratio < 15, "ten times the extents, about ten times the nodes: " + ratio);
        assertEquals(List.of(), v.audit());
        v.unmount();
    }
}
