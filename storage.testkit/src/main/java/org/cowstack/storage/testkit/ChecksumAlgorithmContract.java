package org.cowstack.storage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.csum.ChecksumAlgorithmService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link ChecksumAlgorithm} passes. A subclass names the algorithm,
 * its identity and its published vectors; everything else is checked here.
 */
public abstract class ChecksumAlgorithmContract {

    /** A published input/digest pair; the digest in on-disk byte order. */
    public record Vector(String label, byte[] input, String digestHex) {
        public static Vector ascii(String text, String digestHex) {
            return new Vector('"' + text + '"', text.getBytes(java.nio.charset.StandardCharsets.US_ASCII), digestHex);
        }
    }

    /** The algorithm under test. */
    protected abstract ChecksumAlgorithm algorithm();

    protected abstract String expectedName();

    protected abstract int expectedId();

    protected abstract int expectedDigestLength();

    /** Known vectors, from the algorithm's specification or a reference implementation. */
    protected abstract List<Vector> vectors();

    /**
     * The vectors for the inputs every algorithm is checked on, given their digests in
     * this order: {@code ""}, {@code "a"}, {@code "abc"}, {@code "123456789"}, 32 zero
     * bytes, 32 0xff bytes, {@link #pattern pattern(4096)}, pattern(1 MiB + 13). The
     * long ones cross every block and tail path of an implementation.
     */
    protected static List<Vector> standardVectors(String... digestHex) {
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        List<Vector> inputs = List.of(
                Vector.ascii("", ""), Vector.ascii("a", ""), Vector.ascii("abc", ""), Vector.ascii("123456789", ""),
                new Vector("32 zero bytes", new byte[32], ""), new Vector("32 0xff bytes", ones, ""),
                new Vector("pattern(4096)", pattern(4096), ""),
                new Vector("pattern(1 MiB + 13)", pattern((1 << 20) + 13), ""));
        if (digestHex.length != inputs.size()) {
            throw new IllegalArgumentException(inputs.size() + " digests expected, got " + digestHex.length);
        }
        List<Vector> vectors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            vectors.add(new Vector(inputs.get(i).label(), inputs.get(i).input(), digestHex[i]));
        }
        return vectors;
    }

    /** Deterministic input used for the long vectors: byte i is {@code i * 31 + 7}. */
    public static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private byte[] reference(byte[] input) {
        // The plainest form: a heap buffer covering a whole array.
        return algorithm().digest(ByteBuffer.wrap(input));
    }

    @Test
    void identity() {
        ChecksumAlgorithm a = algorithm();
        assertEquals(expectedName(), a.name());
        assertEquals(expectedId(), a.id());
        assertEquals(expectedDigestLength(), a.digestLength());
        assertTrue(a.digestLength() >= 1 && a.digestLength() <= ChecksumAlgorithm.MAX_DIGEST_LENGTH,
                "digest length within 1.." + ChecksumAlgorithm.MAX_DIGEST_LENGTH);
    }

    @Test
    void identityIsDeclaredOnceByItsChecksumAlgorithmService() {
        ChecksumAlgorithm a = algorithm();
        ChecksumAlgorithmService service = a.getClass().getAnnotation(ChecksumAlgorithmService.class);
        assertNotNull(service, a.getClass().getName() + " is annotated with @ChecksumAlgorithmService, which sets the "
                + ChecksumAlgorithm.NAME + ", " + ChecksumAlgorithm.ID + " and " + ChecksumAlgorithm.DIGEST_LENGTH
                + " service properties consumers select it by");
        assertEquals(service.name(), a.name(), "name() is the " + ChecksumAlgorithm.NAME + " service property");
        assertEquals(service.id(), a.id(), "id() is the " + ChecksumAlgorithm.ID + " service property");
        assertEquals(service.digest_length(), a.digestLength(),
                "digestLength() is the " + ChecksumAlgorithm.DIGEST_LENGTH + " service property");
        assertFalse(a.name().isBlank(), "a name to type in storage:mkfs --csum");
        assertEquals(a.name().toLowerCase(Locale.ROOT), a.name(), "a lower-case name");
        assertTrue(a.id() >= 0 && a.id() <= 0xffff, "an on-disk id within 0..65535");
    }

    @Test
    void knownVectors() {
        assertFalse(vectors().isEmpty(), "an algorithm needs published vectors");
        for (Vector v : vectors()) {
            assertEquals(v.digestHex(), HexFormat.of().formatHex(reference(v.input())), "vector " + v.label());
        }
    }

    @ParameterizedTest
    @EnumSource(BufferKind.class)
    void everyBufferKindGivesTheSameDigest(BufferKind kind) {
        for (Vector v : vectors()) {
            ByteBuffer buf = kind.holding(v.input());
            assertEquals(v.digestHex(), HexFormat.of().formatHex(algorithm().digest(buf)),
                    "vector " + v.label() + " in a " + kind + " buffer");
        }
        Random random = new Random(Seeds.seed(getClass().getSimpleName() + ".bufferKinds." + kind));
        for (int i = 0; i < 200; i++) {
            byte[] input = new byte[random.nextInt(i < 100 ? 80 : 9000)];
            random.nextBytes(input);
            assertArrayEquals(reference(input), algorithm().digest(kind.holding(input)),
                    input.length + " random bytes in a " + kind + " buffer");
        }
    }

    @ParameterizedTest
    @EnumSource(BufferKind.class)
    void bufferStateAndContentUntouched(BufferKind kind) {
        byte[] input = pattern(5000);
        ByteBuffer buf = kind.holding(input);
        int position = buf.position();
        int limit = buf.limit();
        ByteOrder order = buf.order();
        buf.mark();
        ByteBuffer before = copyOf(buf);

        algorithm().digest(buf);

        assertEquals(position, buf.position(), "position");
        assertEquals(limit, buf.limit(), "limit");
        assertEquals(order, buf.order(), "byte order");
        buf.position(position + 7).reset();
        assertEquals(position, buf.position(), "mark");
        assertEquals(before, copyOf(buf), "content");
    }

    private static ByteBuffer copyOf(ByteBuffer buf) {
        ByteBuffer copy = ByteBuffer.allocate(buf.remaining());
        copy.put(buf.duplicate()).flip();
        return copy;
    }

    @Test
    void writesExactlyItsDigestAtTheOffset() {
        int len = algorithm().digestLength();
        byte[] expected = reference(pattern(100));
        byte[] out = new byte[len + 20];
        Arrays.fill(out, (byte) 0x5A);
        algorithm().digest(ByteBuffer.wrap(pattern(100)), out, 7);
        assertArrayEquals(expected, Arrays.copyOfRange(out, 7, 7 + len), "digest at offset 7");
        for (int i = 0; i < out.length; i++) {
            if (i < 7 || i >= 7 + len) {
                assertEquals((byte) 0x5A, out[i], "byte " + i + " outside the digest was changed");
            }
        }
    }

    @Test
    void refusesAnOutputWithoutRoom() {
        int len = algorithm().digestLength();
        assertThrows(IndexOutOfBoundsException.class,
                () -> algorithm().digest(ByteBuffer.wrap(pattern(10)), new byte[len + 3], 4));
        assertThrows(IndexOutOfBoundsException.class,
                () -> algorithm().digest(ByteBuffer.wrap(pattern(10)), new byte[len], -1));
    }

    @Test
    void differentDataGivesDifferentDigests() {
        byte[] a = pattern(4096);
        byte[] b = a.clone();
        b[4095] ^= 1;
        byte[] c = a.clone();
        c[0] ^= (byte) 0x80;
        assertFalse(Arrays.equals(reference(a), reference(b)), "a flipped last bit changes the digest");
        assertFalse(Arrays.equals(reference(a), reference(c)), "a flipped first bit changes the digest");
    }

    @Test
    void threadSafe() throws Exception {
        Random random = new Random(Seeds.seed(getClass().getSimpleName() + ".threadSafe"));
        int inputs = 64;
        byte[][] data = new byte[inputs][];
        byte[][] expected = new byte[inputs][];
        for (int i = 0; i < inputs; i++) {
            data[i] = new byte[1 + random.nextInt(64 * 1024)];
            random.nextBytes(data[i]);
            expected[i] = reference(data[i]);
        }
        // One shared read-only direct buffer read by every thread at once, plus private ones.
        ByteBuffer shared = BufferKind.DIRECT_READ_ONLY.holding(data[0]);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long threadSeed = random.nextLong();
                Callable<Integer> task = () -> {
                    Random r = new Random(threadSeed);
                    int checked = 0;
                    for (int n = 0; n < 300; n++) {
                        int i = r.nextInt(inputs);
                        BufferKind kind = BufferKind.values()[r.nextInt(BufferKind.values().length)];
                        assertArrayEquals(expected[i], algorithm().digest(kind.holding(data[i])), "input " + i);
                        assertArrayEquals(expected[0], algorithm().digest(shared), "shared buffer");
                        checked += 2;
                    }
                    return checked;
                };
                results.add(pool.submit(task));
            }
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(2, TimeUnit.MINUTES);
            }
            assertEquals(8 * 600, total);
        } finally {
            pool.shutdownNow();
        }
    }
}
