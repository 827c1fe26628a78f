package org.cowstack.storage.api.csum;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A checksum algorithm used for data and metadata blocks.
 *
 * <p>Registered as a service with the properties {@value #NAME}, {@value #ID} and
 * {@value #DIGEST_LENGTH} equal to {@link #name()}, {@link #id()} and
 * {@link #digestLength()} (use {@link ChecksumAlgorithmService} on the component). The
 * id is written into every superblock, so it never changes once published; the ids
 * 0..3 are btrfs's ({@code crc32c}, {@code xxhash64}, {@code sha256},
 * {@code blake2b}). Integer digests (crc32c, xxhash64) are stored little-endian, as
 * btrfs does.
 *
 * <p>Thread safety: {@link #digest(ByteBuffer, byte[], int)} is called concurrently
 * from many threads on one instance and keeps no state between calls. It must not
 * hold plug-in objects in static or thread-local caches (they would pin the bundle's
 * class loader after an update).
 */
@ConsumerType
public interface ChecksumAlgorithm {
    /** Service property: the algorithm name, a String such as {@code "crc32c"}. */
    String NAME = "storage.csum.name";
    /** Service property: the on-disk id, an Integer. */
    String ID = "storage.csum.id";
    /** Service property: the digest length in bytes, an Integer. */
    String DIGEST_LENGTH = "storage.csum.digest.length";
    /** The room reserved for a digest on disk, as in btrfs: no algorithm may be longer. */
    int MAX_DIGEST_LENGTH = 32;

    /** Lower-case name, as typed in {@code storage:mkfs --csum NAME}. */
    String name();

    /** The stable on-disk id, 0..65535. */
    int id();

    /** Digest length in bytes, 1..{@value #MAX_DIGEST_LENGTH}. */
    int digestLength();

    /**
     * Computes the digest of the bytes between {@code data}'s position and limit.
     *
     * <p>Heap, direct and read-only buffers of any byte order are accepted. The buffer's
     * position, limit, mark and byte order are left untouched and its content is only
     * read, never copied in full: the caller owns it throughout.
     *
     * @param data   the bytes to digest
     * @param out    receives exactly {@link #digestLength()} bytes
     * @param offset where in {@code out} to write them; other bytes of {@code out} are not touched
     * @throws IndexOutOfBoundsException when {@code out} has no room at {@code offset}
     */
    void digest(ByteBuffer data, byte[] out, int offset);

    /** Convenience form of {@link #digest(ByteBuffer, byte[], int)} returning a new array. */
    default byte[] digest(ByteBuffer data) {
        byte[] out = new byte[digestLength()];
        digest(data, out, 0);
        return out;
    }
}
