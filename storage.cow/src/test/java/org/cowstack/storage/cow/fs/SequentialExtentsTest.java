package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;

import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;

/**
 * A file written sequentially, through several writebacks (the cache's dirty limit) and
 * a commit, is a handful of extents: runs are allocated whole, and metadata written
 * between them goes to its own area instead of after the file's last extent.
 */
class SequentialExtentsTest {
    @org.junit.jupiter.api.Test
    void sequentialWriteIsAFewExtents() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:sequential-extents");
        CowVolume v = volumes.fresh(uri, 512L << 20);
        int mib = 160; // five writebacks of the default 64 MiB cache's dirty half
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        try (FileHandle f = v.open("/big", Volumes.RW)) {
            for (int i = 0; i < mib; i++) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    chunk.put((byte) (i + chunk.position() / 4096));
                }
                chunk.flip();
                f.write(chunk, (long) i << 20);
            }
            f.fsync();
            List<ExtentMapping> extents = f.extents(0, Long.MAX_VALUE);
            assertTrue(extents.size() <= 2, "extents of a sequentially written " + mib + " MiB file: " + extents);
            assertEquals((long) mib << 20, extents.stream().mapToLong(ExtentMapping::length).sum());
        }
        v.unmount();
        v = volumes.mount(uri);
        byte[] back = Volumes.readAll(v, "/big");
        for (int i = 0; i < mib; i += 37) {
            byte[] expected = new byte[4096];
            java.util.Arrays.fill(expected, (byte) (i + 3));
            byte[] got = java.util.Arrays.copyOfRange(back, (i << 20) + 3 * 4096, (i << 20) + 4 * 4096);
            assertArrayEquals(expected, got, "MiB " + i);
        }
        v.unmount();
    }
}
