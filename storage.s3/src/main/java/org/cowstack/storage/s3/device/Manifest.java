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
 * which no upload ever overwrote. Objects no manifest names are garbage.
 *
 * <p>Encoding: magic {@code COWS3MF}, format version, size, block size, object size,
 * generation, entry count, then (object index, generation) pairs in index order, all
 * big-endian longs but the ints of the version and sizes, and a CRC32C of everything
 * before it. A manifest of another format version is refused with one line.
 */
public final class Manifest {
    static final byte[] MAGIC = "COWS3MF".getBytes(StandardCharsets.US_ASCII);
    public static final int FORMAT = 1;

    final long size;
    final int blockSize;
    final int objectSize;
    final long generation;
    /** Object index to the generation its content was stored in; absent: all zeros. */
    final Map<Long, Long> objects;

    Manifest(long size, int blockSize, int objectSize, long generation, Map<Long, Long> objects) {
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
     * The key of object {@code index} as stored in {@code generation}: a short hash of the
     * index first (as s3backer's {@code --blockHashPrefix}: keys spread over the store's
     * partitions), then the index and the generation in hex.
     */
    static String key(String prefix, long index, long generation) {
        long h = index * 0x9E3779B97F4A7C15L;
        return prefix + String.format("%04x/%012x-%x", (int) (h >>> 48), index, generation);
    }

    static String manifestKey(String prefix) {
        return prefix + "manifest";
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + 8 + 4 + 4 + 8 + 8 + objects.size() * 16 + 4);
        b.put(MAGIC).putInt(FORMAT).putLong(size).putInt(blockSize).putInt(objectSize).putLong(generation)
                .putLong(objects.size());
        objects.forEach((index, gen) -> b.putLong(index).putLong(gen));
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    static Manifest decode(byte[] bytes, String where) throws IOException {
        int fixed = MAGIC.length + 4 + 8 + 4 + 4 + 8 + 8 + 4;
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
                || objectSize % blockSize != 0 || size % blockSize != 0 || generation < 0
                || count < 0 || count != (bytes.length - fixed) / 16 || (bytes.length - fixed) % 16 != 0) {
            throw new IOException(where + ": manifest fields out of range (size " + size + ", block " + blockSize
                    + ", object " + objectSize + ", generation " + generation + ", entries " + count + ")");
        }
        Map<Long, Long> objects = new TreeMap<>();
        long objectCount = (size + objectSize - 1) / objectSize;
        for (long i = 0; i < count; i++) {
            long index = b.getLong();
            long gen = b.getLong();
            if (index < 0 || index >= objectCount || gen < 0 || gen > generation || objects.put(index, gen) != null) {
                throw new IOException(where + ": manifest entry " + i + " out of range (object " + index
                        + ", generation " + gen + ")");
            }
        }
        return new Manifest(size, blockSize, objectSize, generation, objects);
    }
}
