package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.cow.inspect.Check;
import org.junit.jupiter.api.Test;

/**
 * Random 4 KiB overwrites of a file that fits the volume comfortably, never synced: each
 * needs a new block while the old one comes back only at a commit, so the volume must
 * commit early enough, and keep room for that commit's metadata, that no overwrite is
 * refused and the volume never fails for lack of space (it did: a reclaim commit ran out
 * of "space even for metadata" and every later write got EIO).
 */
class OverwriteSpaceTest {
    private static final int B = 4096;
    private static final long FILE = 16L << 20;
    /** Twice the file and 8 MiB, as the report's 2 x 256 MiB + 64 MiB, for each copy of the data. */
    private static long volume(int copies) {
        return copies * 2 * FILE + (8L << 20);
    }

    /** Writebacks every 512 pages, into one transaction: the case that failed the volume. */
    @Test
    void randomOverwritesWithASmallCacheNeverRunOutOfSpace() throws IOException {
        overwrite("small", 4L << 20, FormatOptions.defaults().checksum("crc32c"), 1);
    }

    /** The cache (capped at 64 MiB) holds the whole file dirty: promises run out first. */
    @Test
    void randomOverwritesWithACacheLargerThanTheVolumeNeverRunOutOfSpace() throws IOException {
        overwrite("large", 1L << 30, FormatOptions.defaults().checksum("crc32c"), 1);
    }

    /** Data dup, metadata single: the headroom counts metadata copies, promises data copies. */
    @Test
    void randomOverwritesOfDupDataNeverRunOutOfSpace() throws IOException {
        overwrite("dup", 4L << 20, FormatOptions.defaults().dataProfile("dup").metadataProfile("single"), 2);
    }

    private static void overwrite(String name, long cacheBytes, FormatOptions format, int copies) throws IOException {
        long volume = volume(copies);
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:overwrite-" + name);
        volumes.mkfs(uri, volume, format);
        BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite());
        CowVolume v = CowVolume.mount("test", uri, d, Volumes.SERVICES, MountOptions.defaults(), cacheBytes);
        byte[] model = new byte[(int) FILE];
        new SplittableRandom(3).nextBytes(model);
        try (FileHandle f = v.open("/disk", Volumes.RW)) {
            for (long at = 0; at < FILE; at += 1 << 20) {
                f.write(ByteBuffer.wrap(model, (int) at, 1 << 20), at);
            }
            f.fsync();
            SplittableRandom r = new SplittableRandom(1);
            byte[] block = new byte[B];
            long writes = 3 * volume / B; // several times the volume, never synced
            long t0 = System.nanoTime();
            long g0 = v.core.committed().generation;
            for (long i = 0; i < writes; i++) {
                r.nextBytes(block);
                int at = r.nextInt((int) (FILE / B)) * B;
                f.write(ByteBuffer.wrap(block), at);
                System.arraycopy(block, 0, model, at, B);
            }
            System.out.println(name + ": " + writes + " writes in " + (System.nanoTime() - t0) / 1000000 + " ms, generation "
                    + (v.core.committed().generation - g0));
            assertNull(v.failure(), "the volume did not fail");
            assertEquals(VolumeState.MOUNTED, v.state());
            f.fsync();
        }
        assertArrayEquals(model, Volumes.readAll(v, "/disk"));
        Check.Result check = v.checkCommitted();
        assertEquals(List.of(), check.problems());
        assertTrue(check.clean());
        assertEquals(List.of(), v.audit());
        v.unmount();
        CowVolume again = volumes.mount(uri);
        assertArrayEquals(model, Volumes.readAll(again, "/disk"));
        again.unmount();
    }
}
