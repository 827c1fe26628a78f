package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What streaming a large file costs in memory: the live heap and the direct memory the
 * engine holds after a sequential write + fsync and after reading the file back, each
 * bounded by what is configured (the read cache's size, the page cache's dirty limit,
 * the pooled I/O buffers), not by the file's size. The file is 256 MiB
 * ({@code -Dstorage.memory.mebibytes=1024} for the README's figures), the read cache 32 MiB.
 *
 * <p>"Live heap" is the heap in use right after a full collection ({@code System.gc()}),
 * minus the same figure before the volume was mounted; direct memory is the JDK's
 * {@code direct} buffer pool. Both are printed.
 */
class MemoryFootprintTest {
    private static final int MIB = 1 << 20;
    private static final long CACHE = 32L * MIB;
    /** The page cache's own limit (PageCache: at most 64 MiB of pages) and the slack of one test JVM. */
    private static final long PAGE_CACHE = 64L * MIB;
    private static final long SLACK = 24L * MIB;
    /** Pooled direct buffers: the read path's 8 x 2 MiB and the writeback's dirty limit's worth. */
    private static final long DIRECT_BOUND = 48L * MIB;

    @Test
    void streamingAFileHoldsWhatIsConfiguredNotTheFile(@TempDir Path dir) throws IOException {
        int mebibytes = Integer.getInteger("storage.memory.mebibytes", 256);
        FileDeviceProvider files = new FileDeviceProvider();
        Volumes vs = new Volumes(files);
        URI uri = dir.resolve("m.img").toUri();
        vs.mkfs(uri, (long) (mebibytes + mebibytes / 4 + 64) * MIB, FormatOptions.defaults());
        Memory before = Memory.now();

        BlockDevice d = files.open(uri, OpenOptions.readWrite());
        CowVolume v = CowVolume.mount("memory", uri, d, Volumes.SERVICES, MountOptions.defaults(), CACHE);
        long seed = new SplittableRandom().nextLong();
        System.out.println("MemoryFootprintTest seed " + seed);
        ByteBuffer chunk = ByteBuffer.allocate(MIB);
        try (FileHandle f = v.open("/stream", Volumes.RW)) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < mebibytes; i++) {
                fill(chunk, random);
                f.write(chunk, (long) i * MIB);
            }
            f.fsync();
        }
        Memory written = Memory.now().minus(before);

        ByteBuffer back = ByteBuffer.allocate(MIB);
        try (FileHandle f = v.open("/stream", java.util.Set.of(java.nio.file.StandardOpenOption.READ))) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < mebibytes; i++) {
                fill(chunk, random);
                back.clear();
                while (back.hasRemaining() && f.read(back, (long) i * MIB + back.position()) > 0) {
                    // a short read goes on where it ended
                }
                assertEquals(chunk.rewind(), back.flip(), "MiB " + i + " reads back as written (seed " + seed + ")");
            }
        }
        Memory read = Memory.now().minus(before);
        v.unmount();

        System.out.printf("MemoryFootprintTest: %d MiB file, read cache %d MiB: after write + fsync live heap %.1f MiB,"
                + " direct %.1f MiB; after reading it back live heap %.1f MiB, direct %.1f MiB%n", mebibytes,
                CACHE / MIB, written.heap / (double) MIB, written.direct / (double) MIB, read.heap / (double) MIB,
                read.direct / (double) MIB);
        assertTrue(written.heap <= PAGE_CACHE + SLACK, "live heap after the write: " + written.heap);
        assertTrue(read.heap <= CACHE + PAGE_CACHE + SLACK, "live heap after the read: " + read.heap);
        assertTrue(written.direct <= DIRECT_BOUND, "direct memory after the write: " + written.direct);
        assertTrue(read.direct <= DIRECT_BOUND, "direct memory after the read: " + read.direct);
    }

    private static void fill(ByteBuffer chunk, SplittableRandom random) {
        chunk.clear();
        while (chunk.hasRemaining()) {
            chunk.putLong(random.nextLong());
        }
        chunk.flip();
    }

    /** Live heap (after a full collection) and direct buffer memory, in bytes. */
    private record Memory(long heap, long direct) {
        static Memory now() {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long direct = 0;
            for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (pool.getName().equals("direct")) {
                    direct = pool.getMemoryUsed();
                }
            }
            return new Memory(heap, direct);
        }

        Memory minus(Memory base) {
            return new Memory(heap - base.heap, direct - base.direct);
        }
    }
}
