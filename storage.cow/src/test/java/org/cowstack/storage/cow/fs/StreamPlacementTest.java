package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.SpaceUsage;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, parallel writers: files streamed at the same time, their write-behind runs
 * taking turns, each end up in a few extents (a stream that finds its place taken
 * continues in a free region of its own), and the volume still fills to the last
 * block: nothing is held back for a stream.
 */
class StreamPlacementTest {
    private static final int MIB = 1 << 20;
    private static final int FILES = 4;

    private static byte[] mebibyte(int file, int index) {
        byte[] b = new byte[MIB];
        for (int i = 0; i < b.length; i += 512) {
            b[i] = (byte) (file * 31 + index);
            b[i + 1] = (byte) (i >> 9);
        }
        return b;
    }

    /** Physical extents after merging mappings that continue one another on disk. */
    private static int physicalExtents(FileHandle f) throws IOException {
        int n = 0;
        long nextPhysical = -1;
        for (var m : f.extents(0, Long.MAX_VALUE)) {
            if (m.physical() != nextPhysical) {
                n++;
            }
            nextPhysical = m.physical() + m.length();
        }
        return n;
    }

    @Test
    void interleavedStreamsEndInFewExtentsEach() throws IOException {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:streams-" + System.nanoTime());
        CowVolume v = vs.fresh(uri, 512L << 20);
        int mib = 64;
        List<FileHandle> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(v.open("/s" + i, Volumes.RW));
        }
        // One MiB to each file in turn: every write-behind run of 4 MiB finds the blocks after
        // its file's last extent taken by the next file's.
        for (int k = 0; k < mib; k++) {
            for (int i = 0; i < FILES; i++) {
                files.get(i).write(ByteBuffer.wrap(mebibyte(i, k)), (long) k * MIB);
            }
        }
        List<Integer> extents = new ArrayList<>();
        for (FileHandle f : files) {
            f.fsync();
            extents.add(physicalExtents(f));
            f.close();
        }
        for (int n : extents) {
            assertTrue(n <= 4, "extents per file of " + FILES + " interleaved streams of " + mib + " MiB: " + extents);
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
        CowVolume again = vs.mount(uri);
        for (int i = 0; i < FILES; i++) {
            byte[] all = Volumes.readAll(again, "/s" + i);
            assertEquals((long) mib * MIB, all.length);
            for (int k = 0; k < mib; k += 7) {
                assertArrayEquals(mebibyte(i, k), java.util.Arrays.copyOfRange(all, k * MIB, (k + 1) * MIB),
                        "/s" + i + " MiB " + k);
            }
        }
        again.unmount();
    }

    @Test
    void interleavedStreamsStillFillTheVolume() throws IOException {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:streams-full-" + System.nanoTime());
        CowVolume v = vs.fresh(uri, 48L << 20);
        SpaceUsage empty = v.space();
        List<FileHandle> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(v.open("/s" + i, Volumes.RW));
        }
        long[] written = new long[FILES];
        boolean[] full = new boolean[FILES];
        int chunk = 256 << 10;
        for (int k = 0, stopped = 0; stopped < FILES; k++) {
            for (int i = 0; i < FILES; i++) {
                if (full[i]) {
                    continue;
                }
                try {
                    files.get(i).write(ByteBuffer.wrap(mebibyte(i, k), 0, chunk), written[i]);
                    written[i] += chunk;
                } catch (NoSpaceException e) {
                    full[i] = true;
                    stopped++;
                }
            }
        }
        for (FileHandle f : files) {
            f.fsync(); // whatever was accepted is placed: flush never runs out
        }
        SpaceUsage df = v.space();
        assertTrue(df.free() < chunk, "left free after filling with " + FILES + " streams: " + df + " (empty: "
                + empty + ")");
        for (int i = 0; i < FILES; i++) {
            assertEquals(written[i], files.get(i).size());
            files.get(i).close();
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertEquals(df.free(), again.space().free(), "free space after remount");
        assertEquals(List.of(), again.audit());
        again.unmount();
    }
}
