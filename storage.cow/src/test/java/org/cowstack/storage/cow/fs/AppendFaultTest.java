package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.cowstack.storage.api.SourceFaultException;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DESIGN P3: an append whose source fails part-way. The source is a channel that
 * delivers {@code cut} bytes, in reads of random sizes, and then throws. The file must
 * then be as if exactly that prefix, possibly empty, had been appended at the old end:
 * never a hole, never a size beyond the data, before and after a remount.
 *
 * <p>(A memory-mapped source whose file is truncated is the other classic case, but
 * HotSpot reports that fault asynchronously, "in a recent unsafe memory access
 * operation", possibly after the copy that caused it returned; a test cannot pin the
 * fault point, so the deterministic source is a channel. See the README.)
 */
class AppendFaultTest {
    private static final int BLOCK = 4096;
    private static final int SOURCE_BYTES = 3 << 20; // three chunks of the engine's appender

    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:p3");
    private CowVolume volume;

    @BeforeEach
    void mkfs() throws IOException {
        volume = volumes.fresh(uri, 64 << 20);
    }

    @AfterEach
    void unmount() throws IOException {
        volume.unmount();
    }

    /** Fault points: bytes the source delivers before it throws. */
    private static final long[] CUTS = {0, 100, BLOCK, 5 * BLOCK + 1000, (1 << 20) - 1, 1 << 20, (2 << 20) + 3 * BLOCK};

    /** Delivers its bytes in reads of random sizes, then throws where it was cut. */
    private static final class FailingSource implements ReadableByteChannel {
        private final byte[] data;
        private final long cut;
        private final Random r;
        private int at;

        FailingSource(byte[] data, long cut, Random r) {
            this.data = data;
            this.cut = cut;
            this.r = r;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (at >= cut) {
                throw new IOException("injected source failure after " + at + " bytes");
            }
            int n = (int) Math.min(Math.min(dst.remaining(), 1 + r.nextInt(300_000)), cut - at);
            dst.put(data, at, n);
            at += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"buffered-path", "buffered", "bounce", "nodatasum", "verify", "direct"})
    void aFailingAppendLeavesExactlyThePrefixAtTheOldEnd(String how) throws Exception {
        long seed = Seeds.seed("AppendFaultTest." + how);
        Random r = new Random(seed);
        boolean direct = !how.equals("buffered-path");
        if (direct) {
            volume.dioStrategy(how);
        }
        Map<String, byte[]> expected = new TreeMap<>();
        for (long cut : CUTS) {
            for (long oldSize : new long[] {0, 3 * BLOCK, 3 * BLOCK + 123}) {
                String path = "/a-" + cut + "-" + oldSize;
                byte[] old = new byte[(int) oldSize];
                r.nextBytes(old);
                Volumes.write(volume, path, 0, old);
                if (r.nextBoolean()) {
                    volume.sync();
                }
                byte[] source = new byte[SOURCE_BYTES];
                r.nextBytes(source);
                String what = how + ", cut at " + cut + ", old size " + oldSize + " (seed " + seed + ")";
                try (FileHandle f = volume.open(path, Volumes.RW)) {
                    SourceFaultException e = assertThrows(SourceFaultException.class,
                            () -> f.appendFrom(new FailingSource(source, cut, r), SOURCE_BYTES, direct), what);
                    assertEquals(cut, e.written(), what + ": every byte delivered was appended");
                    assertEquals(oldSize, e.offset(), what + ": at the old end");
                    assertTrue(e.getMessage().contains(path) && e.getMessage().contains("injected source failure"),
                            e.getMessage());
                    byte[] want = Arrays.copyOf(old, (int) (oldSize + cut));
                    System.arraycopy(source, 0, want, old.length, (int) cut);
                    check(f, want, what);
                    expected.put(path, want);
                }
            }
        }
        volume.sync();
        volume.unmount();
        volume = volumes.mount(uri);
        assertEquals(List.of(), volume.audit());
        for (var e : expected.entrySet()) {
            try (FileHandle f = volume.open(e.getKey(), Volumes.RW)) {
                check(f, e.getValue(), how + " after remount: " + e.getKey());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(booleans = {false, true})
    void aCompleteAppendFromAChannelStopsAtCountOrEndOfStream(boolean direct) throws Exception {
        byte[] source = new byte[5 * BLOCK + 7];
        new Random(1).nextBytes(source);
        try (FileHandle f = volume.open("/whole", Volumes.RW)) {
            assertEquals(source.length, f.appendFrom(java.nio.channels.Channels.newChannel(
                    new java.io.ByteArrayInputStream(source)), 1 << 20, direct));
            assertEquals(2 * BLOCK, f.appendFrom(java.nio.channels.Channels.newChannel(
                    new java.io.ByteArrayInputStream(source)), 2 * BLOCK, direct));
            byte[] want = Arrays.copyOf(source, source.length + 2 * BLOCK);
            System.arraycopy(source, 0, want, source.length, 2 * BLOCK);
            check(f, want, "complete appends");
        }
    }

    private void check(FileHandle f, byte[] expected, String what) throws IOException {
        assertEquals(expected.length, f.size(), what + ": size = old size + prefix");
        ByteBuffer got = ByteBuffer.allocate(expected.length);
        while (got.hasRemaining() && f.read(got, got.position()) > 0) {
            // read to the end
        }
        assertArrayEquals(expected, got.array(), what + ": content = old content + prefix of the source");
        f.fsync();
        for (ExtentMapping m : f.extents(0, Math.max(1, expected.length))) {
            assertFalse(m.flags().contains(ExtentMapping.Flag.HOLE) && expected.length > 0,
                    what + ": no hole in the file: " + m);
        }
    }
}
