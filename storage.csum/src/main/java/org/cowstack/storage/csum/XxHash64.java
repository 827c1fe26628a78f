package org.cowstack.storage.csum;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.csum.ChecksumAlgorithmService;
import org.osgi.service.component.annotations.Component;

/**
 * XXH64 with seed 0, btrfs id 1.
 *
 * <p>Written here rather than taken from zero-allocation-hashing: that library reads
 * direct buffers through {@code sun.nio.ch.DirectBuffer}, which needs
 * {@code --add-exports java.base/sun.nio.ch} on the command line and {@code sun.misc}
 * and {@code sun.nio.ch} as framework system packages, and fails with
 * {@code IllegalAccessError} without them. Little-endian {@link VarHandle} reads are
 * intrinsified; {@code storage.bench}'s ChecksumBenchmark compares the two (parity at
 * 4 KiB blocks, see the README).
 */
@Component(service = ChecksumAlgorithm.class)
@ChecksumAlgorithmService(name = "xxhash64", id = 1, digest_length = 8)
public final class XxHash64 implements ChecksumAlgorithm {
    /** Little-endian views of direct (or read-only) buffers and of heap arrays, intrinsified by C2. */
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    @Override
    public void digest(ByteBuffer data, byte[] out, int offset) {
        Objects.checkFromIndexSize(offset, Long.BYTES, out.length);
        LittleEndian.putLong(out, offset, hash(data, 0));
    }

    /** XXH64 of {@code b}'s remaining bytes, read little-endian whatever its order; its position is not moved. */
    static long hash(ByteBuffer b, long seed) {
        // Heap buffers are read through their array, which C2 compiles to plain loads;
        // the test is loop-invariant, so the loops are unswitched into two fast copies.
        byte[] a = b.hasArray() ? b.array() : null;
        int base = a == null ? 0 : b.arrayOffset();
        int p = b.position();
        int end = b.limit();
        int length = end - p;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int stripesEnd = end - 32;
            do {
                v1 = round(v1, longAt(a, b, base, p));
                v2 = round(v2, longAt(a, b, base, p + 8));
                v3 = round(v3, longAt(a, b, base, p + 16));
                v4 = round(v4, longAt(a, b, base, p + 24));
                p += 32;
            } while (p <= stripesEnd);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        while (p + 8 <= end) {
            h ^= round(0, longAt(a, b, base, p));
            h = Long.rotateLeft(h, 27) * P1 + P4;
            p += 8;
        }
        if (p + 4 <= end) {
            h ^= (intAt(a, b, base, p) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        while (p < end) {
            h ^= (b.get(p) & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            p++;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long longAt(byte[] a, ByteBuffer b, int base, int i) {
        return a != null ? (long) ARRAY_LONG.get(a, base + i) : (long) LONG.get(b, i);
    }

    private static int intAt(byte[] a, ByteBuffer b, int base, int i) {
        return a != null ? (int) ARRAY_INT.get(a, base + i) : (int) INT.get(b, i);
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long acc, long v) {
        acc ^= round(0, v);
        return acc * P1 + P4;
    }
}
