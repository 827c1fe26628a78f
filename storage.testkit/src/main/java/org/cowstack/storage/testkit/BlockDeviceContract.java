package org.cowstack.storage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.DeviceProviderService;
import org.cowstack.storage.api.device.OpenOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link BlockDevice} backend passes, driven through its
 * {@link DeviceProvider}. A subclass supplies the provider and fresh device URIs.
 */
public abstract class BlockDeviceContract {
    protected static final long SIZE = 4L << 20;

    private final List<BlockDevice> opened = new ArrayList<>();

    /** The provider under test, ready to open devices. */
    protected abstract DeviceProvider provider();

    /** A URI for a device that does not exist yet, unique within the test. */
    protected abstract URI uri(String name);

    /** A URI of the provider's scheme with a query parameter it does not know. */
    protected URI withUnknownParameter(URI uri) {
        return URI.create(uri + (uri.toString().contains("?") ? "&" : "?") + "nosuchoption=1");
    }

    protected final BlockDevice open(URI uri, OpenOptions options) throws IOException {
        BlockDevice device = provider().open(uri, options);
        opened.add(device);
        return device;
    }

    protected final BlockDevice create(String name) throws IOException {
        return open(uri(name), OpenOptions.create(SIZE));
    }

    @AfterEach
    protected final void closeOpened() throws IOException {
        for (BlockDevice d : opened) {
            d.close();
        }
        opened.clear();
    }

    private static byte[] random(Random r, int length) {
        byte[] b = new byte[length];
        r.nextBytes(b);
        return b;
    }

    private static byte[] readAll(BlockDevice d, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        d.read(dst, offset);
        assertEquals(length, dst.position(), "read fills the buffer");
        return dst.array();
    }

    @Test
    void geometry() throws IOException {
        URI uri = uri("geometry");
        BlockDevice d = open(uri, OpenOptions.create(SIZE));
        int bs = d.blockSize();
        assertTrue(bs >= 512 && Integer.bitCount(bs) == 1, "block size " + bs + " is a power of two >= 512");
        assertEquals(SIZE, d.size(), "size");
        assertEquals(0, d.size() % bs, "size is a multiple of the block size");
        assertEquals(uri, d.uri());
        assertFalse(d.isReadOnly());
        assertEquals(provider().scheme(), uri.getScheme());
        assertFalse(provider().description().isBlank(), "a provider describes itself");
    }

    @Test
    void schemeIsDeclaredOnceByItsDeviceProviderService() {
        DeviceProvider p = provider();
        DeviceProviderService service = p.getClass().getAnnotation(DeviceProviderService.class);
        assertNotNull(service, p.getClass().getName() + " is annotated with @DeviceProviderService, which sets the "
                + DeviceProvider.SCHEME + " service property consumers select it by");
        assertEquals(service.scheme(), p.scheme(), "scheme() is the " + DeviceProvider.SCHEME + " service property");
        assertFalse(p.scheme().isBlank(), "a scheme");
        assertEquals(p.scheme().toLowerCase(Locale.ROOT), p.scheme(), "a lower-case scheme");
        assertFalse(p.scheme().contains(":"), "a scheme without the colon");
    }

    @Test
    void newDeviceReadsZeros() throws IOException {
        BlockDevice d = create("zeros");
        byte[] zeros = new byte[64 * 1024];
        for (long off = 0; off < d.size(); off += zeros.length) {
            assertArrayEquals(zeros, readAll(d, off, zeros.length), "zeros at " + off);
        }
    }

    @ParameterizedTest
    @EnumSource(BufferKind.class)
    void writeFromEveryBufferKind(BufferKind kind) throws IOException {
        BlockDevice d = create("write-" + kind);
        int bs = d.blockSize();
        byte[] data = ChecksumAlgorithmContract.pattern(3 * bs);
        ByteBuffer src = kind.holding(data);
        int limit = src.limit();
        d.write(src, 5L * bs);
        assertEquals(limit, src.position(), "write advances the position to the limit");
        assertEquals(limit, src.limit(), "write keeps the limit");
        assertArrayEquals(data, readAll(d, 5L * bs, data.length));
    }

    @ParameterizedTest
    @EnumSource(value = BufferKind.class, names = {"HEAP", "HEAP_ARRAY_OFFSET", "DIRECT", "DIRECT_LITTLE_ENDIAN"})
    void readIntoEveryWritableBufferKind(BufferKind kind) throws IOException {
        BlockDevice d = create("read-" + kind);
        int bs = d.blockSize();
        byte[] data = ChecksumAlgorithmContract.pattern(2 * bs);
        d.write(ByteBuffer.wrap(data), 7L * bs);
        ByteBuffer dst = kind.holding(new byte[2 * bs]);
        int start = dst.position();
        d.read(dst, 7L * bs);
        assertEquals(dst.limit(), dst.position(), "read advances the position to the limit");
        byte[] got = new byte[2 * bs];
        dst.position(start);
        dst.get(got);
        assertArrayEquals(data, got);
    }

    @Test
    void seededWorkloadMatchesModel() throws IOException {
        Random r = new Random(Seeds.seed(getClass().getSimpleName() + ".workload"));
        BlockDevice d = create("workload");
        int bs = d.blockSize();
        int blocks = (int) (d.size() / bs);
        byte[] model = new byte[(int) d.size()];
        for (int op = 0; op < 600; op++) {
            int n = 1 + r.nextInt(Math.min(64, blocks));
            int first = r.nextInt(blocks - n + 1);
            if (r.nextInt(3) == 0) {
                byte[] got = readAll(d, (long) first * bs, n * bs);
                assertArrayEquals(Arrays.copyOfRange(model, first * bs, (first + n) * bs), got,
                        "op " + op + ": read of blocks " + first + "+" + n);
            } else {
                byte[] data = random(r, n * bs);
                BufferKind kind = BufferKind.values()[r.nextInt(BufferKind.values().length)];
                d.write(kind.holding(data), (long) first * bs);
                System.arraycopy(data, 0, model, first * bs, data.length);
            }
            if (r.nextInt(50) == 0) {
                d.flush();
            }
        }
        assertArrayEquals(model, readAll(d, 0, model.length), "whole device after the workload");
    }

    @Test
    void concurrentWritersOnDisjointRanges() throws Exception {
        BlockDevice d = create("concurrent");
        int bs = d.blockSize();
        int threads = 4;
        long region = d.size() / threads;
        long seed = Seeds.seed(getClass().getSimpleName() + ".concurrent");
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<byte[]>> models = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long base = t * region;
                long threadSeed = seed + t;
                models.add(pool.submit(() -> {
                    Random r = new Random(threadSeed);
                    byte[] model = new byte[(int) region];
                    for (int op = 0; op < 200; op++) {
                        int n = 1 + r.nextInt(16);
                        int first = r.nextInt((int) (region / bs) - n + 1);
                        byte[] data = random(r, n * bs);
                        d.write(ByteBuffer.wrap(data), base + (long) first * bs);
                        System.arraycopy(data, 0, model, first * bs, data.length);
                    }
                    return model;
                }));
            }
            for (int t = 0; t < threads; t++) {
                byte[] model = models.get(t).get(2, TimeUnit.MINUTES);
                assertArrayEquals(model, readAll(d, t * region, (int) region), "region of thread " + t);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesUnalignedAndOutOfRangeRequests() throws IOException {
        BlockDevice d = create("ranges");
        int bs = d.blockSize();
        ByteBuffer block = ByteBuffer.wrap(ChecksumAlgorithmContract.pattern(bs));
        assertInvalid(() -> d.write(block, bs / 2), block);
        assertInvalid(() -> d.write(block, -bs), block);
        assertInvalid(() -> d.write(block, d.size()), block);
        ByteBuffer straddling = ByteBuffer.wrap(ChecksumAlgorithmContract.pattern(2 * bs));
        assertInvalid(() -> d.write(straddling, d.size() - bs), straddling);
        ByteBuffer odd = ByteBuffer.allocate(bs - 1);
        assertInvalid(() -> d.write(odd, 0), odd);
        assertInvalid(() -> d.read(odd, 0), odd);
        ByteBuffer twoBlocks = ByteBuffer.allocate(2 * bs);
        assertInvalid(() -> d.read(twoBlocks, d.size() - bs), twoBlocks);
        assertInvalid(() -> d.discard(bs / 2, bs), null);
        assertInvalid(() -> d.discard(0, d.size() + bs), null);
        // Nothing of a refused write reached the device.
        assertArrayEquals(new byte[2 * bs], readAll(d, 0, 2 * bs));
        assertArrayEquals(new byte[bs], readAll(d, d.size() - bs, bs));
    }

    private interface Io {
        void run() throws IOException;
    }

    private static void assertInvalid(Io io, ByteBuffer buffer) {
        int position = buffer == null ? 0 : buffer.position();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, io::run);
        assertFalse(e.getMessage().isBlank());
        if (buffer != null) {
            assertEquals(position, buffer.position(), "a refused request leaves the buffer alone");
        }
    }

    @Test
    void readOnlyOpenRefusesWrites() throws IOException {
        URI uri = uri("ro");
        BlockDevice rw = open(uri, OpenOptions.create(SIZE));
        int bs = rw.blockSize();
        rw.write(ByteBuffer.wrap(ChecksumAlgorithmContract.pattern(bs)), 0);
        rw.flush();
        rw.close();
        BlockDevice ro = open(uri, OpenOptions.readOnly());
        assertTrue(ro.isReadOnly());
        assertArrayEquals(ChecksumAlgorithmContract.pattern(bs), readAll(ro, 0, bs));
        ByteBuffer src = ByteBuffer.allocate(bs);
        assertThrows(ReadOnlyException.class, () -> ro.write(src, 0));
        assertEquals(0, src.position());
        assertThrows(ReadOnlyException.class, () -> ro.discard(0, bs));
    }

    @Test
    void closedDeviceRefusesEverything() throws IOException {
        BlockDevice d = create("closed");
        int bs = d.blockSize();
        d.close();
        assertThrows(OfflineException.class, () -> d.read(ByteBuffer.allocate(bs), 0));
        assertThrows(OfflineException.class, () -> d.write(ByteBuffer.allocate(bs), 0));
        assertThrows(OfflineException.class, d::flush);
        assertThrows(OfflineException.class, () -> d.discard(0, bs));
        assertDoesNotThrow(d::close, "closing twice is harmless");
    }

    @Test
    void contentSurvivesCloseAndReopen() throws IOException {
        URI uri = uri("reopen");
        BlockDevice d = open(uri, OpenOptions.create(SIZE));
        int bs = d.blockSize();
        byte[] data = ChecksumAlgorithmContract.pattern(8 * bs);
        d.write(ByteBuffer.wrap(data), 3L * bs);
        d.flush();
        d.close();
        BlockDevice again = open(uri, OpenOptions.readWrite());
        assertEquals(SIZE, again.size());
        assertArrayEquals(data, readAll(again, 3L * bs, data.length));
        // Creating again opens the existing device; it does not wipe it.
        again.close();
        BlockDevice created = open(uri, OpenOptions.create(SIZE));
        assertArrayEquals(data, readAll(created, 3L * bs, data.length));
    }

    @Test
    void secondReadWriteOpenIsBusy() throws IOException {
        URI uri = uri("busy");
        open(uri, OpenOptions.create(SIZE));
        BusyException e = assertThrows(BusyException.class, () -> open(uri, OpenOptions.readWrite()));
        assertTrue(e.getMessage().contains(uri.getSchemeSpecificPart().split("\\?")[0]), e.getMessage());
    }

    /** A second close of an old handle must not release the open that came after it. */
    @Test
    void closingTwiceReleasesOnlyOnce() throws IOException {
        URI uri = uri("twice");
        BlockDevice old = open(uri, OpenOptions.create(SIZE));
        old.close();
        open(uri, OpenOptions.readWrite());
        old.close();
        assertThrows(BusyException.class, () -> open(uri, OpenOptions.readWrite()));
    }

    @Test
    void openingAMissingDeviceWithoutCreateFails() {
        assertThrows(NoSuchFileException.class, () -> open(uri("missing"), OpenOptions.readWrite()));
        assertThrows(NoSuchFileException.class, () -> open(uri("missing"), OpenOptions.readOnly()));
    }

    @Test
    void refusesForeignSchemesAndUnknownParameters() {
        assertThrows(InvalidArgumentException.class,
                () -> open(URI.create("nosuchscheme:whatever"), OpenOptions.create(SIZE)));
        assertThrows(InvalidArgumentException.class,
                () -> open(withUnknownParameter(uri("params")), OpenOptions.create(SIZE)));
    }

    @Test
    void allocateGivesAnAlignedDirectBuffer() throws IOException {
        BlockDevice d = create("allocate");
        int bs = d.blockSize();
        ByteBuffer buf = d.allocate(4 * bs);
        assertTrue(buf.isDirect());
        assertEquals(4 * bs, buf.capacity());
        assertEquals(4 * bs, buf.remaining());
        assertEquals(0, buf.alignmentOffset(0, bs), "aligned to the block size");
        d.write(buf, 0);
    }

    @Test
    void discardLeavesOldDataOrZeros() throws IOException {
        BlockDevice d = create("discard");
        int bs = d.blockSize();
        byte[] data = ChecksumAlgorithmContract.pattern(8 * bs);
        d.write(ByteBuffer.wrap(data), 0);
        d.discard(2L * bs, 4L * bs);
        byte[] got = readAll(d, 0, data.length);
        boolean zeroes = d.capabilities().contains(DeviceCapability.DISCARD);
        for (int b = 0; b < 8; b++) {
            byte[] block = Arrays.copyOfRange(got, b * bs, (b + 1) * bs);
            byte[] old = Arrays.copyOfRange(data, b * bs, (b + 1) * bs);
            if (b < 2 || b >= 6) {
                assertArrayEquals(old, block, "block " + b + " outside the discard is kept");
            } else if (zeroes) {
                assertArrayEquals(new byte[bs], block, "block " + b + " reads zeros after DISCARD");
            } else {
                assertTrue(Arrays.equals(old, block) || Arrays.equals(new byte[bs], block),
                        "block " + b + " reads old data or zeros");
            }
        }
    }
}
