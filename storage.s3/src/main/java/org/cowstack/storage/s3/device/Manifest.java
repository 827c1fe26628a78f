package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The commit point of an {@code s3:} device: its geometry, its generation and, for every
 * object that is not all zeros, the generation its current content was stored in (the
 * object's key names it, see {@link #key}). A flush stores the dirty objects under the
 * next generation's keys, and only then this manifest (a conditional put): a crash or a
 * store failure in between leaves the previous manifest naming the previous objects,
 * which no upload ever overwrote. Objects a flush replaced stay, listed as garbage with
 * the generation that replaced them, until that is {@code retain} generations old, so
 * that read-only opens of older generations (other processes, other machines) keep
 * reading them; then a flush deletes them. Objects of a flush that never committed are
 * named by no manifest and collected at the next read-write open.
 *
 * <p>Encoding: magic {@code COWS3MF}, format version, size, block size, object size,
 * generation, entry count, then (object index, generation) pairs in index order, the
 * garbage count and (object index, generation, replaced in generation) triples, all
 * big-endian longs but the ints of the version and sizes, and a CRC32C of everything
 * before it. A manifest of another format version is refused with one line.
 */
public final class Manifest {
    static final byte[] MAGIC = "COWS3MF".getBytes(StandardCharsets.US_ASCII);
    public static final int FORMAT = 1;
    /** The largest object: 1 GiB (a slot of the cache, an upload in one request). */
    static final int MAX_OBJECT_SIZE = 1 << 30;

    final long size;
    final int blockSize;
    final int objectSize;
    final long generation;
    /**
     * Object index to the version its content was stored as ({@link #version}: the
     * generation and a number unique to the flush that stored it); absent: all zeros.
     */
    final Map<Long, Long> objects;
    /** Replaced objects kept for readers of older generations: {index, version, replaced in generation}. */
    final java.util.List<long[]> garbage;

    Manifest(long size, int blockSize, int objectSize, long generation, Map<Long, Long> objects) {
        this(size, blockSize, objectSize, generation, objects, java.util.List.of());
    }

    Manifest(long size, int blockSize, int objectSize, long generation, Map<Long, Long> objects,
            java.util.List<long[]> garbage) {
        this.garbage = java.util.List.copyOf(garbage);
        this.size = size;
        this.blockSize = blockSize;
        this.objectSize = objectSize;
        this.generation = generation;
        this.objects = Collections.unmodifiableMap(new TreeMap<>(objects));
    }

    long objectCount() {
        return (size + objectSize - 1) / objectSize;
    }

    /**
     * An object version: the generation it is committed in, and 24 bits unique to the
     * upload batch of the writer that stored it, so that two writers (or one writer's
     * retried flush) never store the same key; object puts are also conditional
     * ({@code If-None-Match: *}), so a collision is refused, never overwritten.
     */
    static long version(long generation, long batch) {
        return (generation << 24) | (batch & 0xFFFFFF);
    }

    static long generationOf(long version) {
        return version >>> 24;
    }

    /**
     * The key of object {@code index} stored as {@code version}: a short hash of the index
     * first (as s3backer's {@code --blockHashPrefix}: keys spread over the store's
     * partitions), then the index and the version in hex.
     */
    static String key(String prefix, long index, long version) {
        long h = index * 0x9E3779B97F4A7C15L;
        return prefix + String.format("%04x/%012x-%x", (int) (h >>> 48), index, version);
    }

    static String manifestKey(String prefix) {
        return prefix + "manifest";
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + 8 + 4 + 4 + 8 + 8 + objects.size() * 16 + 8
                + garbage.size() * 24 + 4);
        b.put(MAGIC).putInt(FORMAT).putLong(size).putInt(blockSize).putInt(objectSize).putLong(generation)
                .putLong(objects.size());
        objects.forEach((index, gen) -> b.putLong(index).putLong(gen));
        b.putLong(garbage.size());
        garbage.forEach(g -> b.putLong(g[0]).putLong(g[1]).putLong(g[2]));
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    static Manifest decode(byte[] bytes, String where) throws IOException {
        int fixed = MAGIC.length + 4 + 8 + 4 + 4 + 8 + 8 + 8 + 4;
        if (bytes.length < fixed) {
            throw new IOException(where + " is not an s3: device manifest (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException(where + " is not an s3: device manifest (bad magic)");
        }
        int format = b.getInt();
        if (format != FORMAT) {
            throw new IOException(where + " has manifest format " + format + "; this version reads format " + FORMAT
                    + " only");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
            throw new IOException(where + ": manifest checksum mismatch");
        }
        long size = b.getLong();
        int blockSize = b.getInt();
        int objectSize = b.getInt();
        long generation = b.getLong();
        long count = b.getLong();
        if (size <= 0 || blockSize < 512 || Integer.bitCount(blockSize) != 1 || objectSize < blockSize
                || Integer.bitCount(objectSize) != 1 || objectSize > MAX_OBJECT_SIZE || size % blockSize != 0 || generation < 0
                || count < 0 || count > (bytes.length - fixed) / 16) {
            throw new IOException(where + ": manifest fields out of range (size " + size + ", block " + blockSize
                    + ", object " + objectSize + ", generation " + generation + ", entries " + count + ")");
        }
        Map<Long, Long> objects = new TreeMap<>();
        long objectCount = (size + objectSize - 1) / objectSize;
        for (long i = 0; i < count; i++) {
            long index = b.getLong();
            long gen = b.getLong();
            if (index < 0 || index >= objectCount || gen < 0 || generationOf(gen) > generation
                    || objects.put(index, gen) != null) {
                throw new IOException(where + ": manifest entry " + i + " out of range (object " + index
                        + ", generation " + gen + ")");
            }
        }
        long kept = b.getLong();
        if (kept < 0 || kept > (b.remaining() - 4) / 24 || kept * 24 != b.remaining() - 4) { // no overflow
            throw new IOException(where + ": manifest garbage list of " + kept + " entries does not fit its length");
        }
        java.util.List<long[]> garbage = new java.util.ArrayList<>();
        for (long i = 0; i < kept; i++) {
            long[] g = {b.getLong(), b.getLong(), b.getLong()};
            if (g[0] < 0 || g[0] >= objectCount || g[1] < 0 || g[2] <= generationOf(g[1]) || g[2] > generation) {
                throw new IOException(where + ": manifest garbage entry " + i + " out of range");
            }
            garbage.add(g);
        }
        return new Manifest(size, blockSize, objectSize, generation, objects, garbage);
    }
}
