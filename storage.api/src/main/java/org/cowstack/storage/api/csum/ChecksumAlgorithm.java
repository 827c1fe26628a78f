package org.cowstack.storage.api.csum;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A checksum algorithm used for data and metadata blocks.
 *
 * <p>An implementation is a component annotated with {@link ChecksumAlgorithmService},
 * which declares its identity once: the annotation sets the {@value #NAME},
 * {@value #ID} and {@value #DIGEST_LENGTH} service properties consumers select and
 * list algorithms by, and {@link #name()}, {@link #id()} and
 * {@link #digestLength()} read the same annotation. The
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

    /**
     * Lower-case name, as typed in {@code storage:mkfs --csum NAME}: by default the
     * {@link ChecksumAlgorithmService#name()} of the implementing class.
     *
     * @throws IllegalStateException when the implementing class has no
     *         {@link ChecksumAlgorithmService} annotation and does not override this method
     */
    default String name() {
        return service(this).name();
    }

    /**
     * The stable on-disk id, 0..65535: by default the {@link ChecksumAlgorithmService#id()}
     * of the implementing class.
     *
     * @throws IllegalStateException when the implementing class has no
     *         {@link ChecksumAlgorithmService} annotation and does not override this method
     */
    default int id() {
        return service(this).id();
    }

    /**
     * Digest length in bytes, 1..{@value #MAX_DIGEST_LENGTH}: by default the
     * {@link ChecksumAlgorithmService#digest_length()} of the implementing class. A
     * reflective lookup (cheap, and cached by the JDK, but not a field read): callers on
     * a per-block path read it once (the engine does when it mounts a volume), and
     * {@link #digest(ByteBuffer, byte[], int)} does not call it.
     *
     * @throws IllegalStateException when the implementing class has no
     *         {@link ChecksumAlgorithmService} annotation and does not override this method
     */
    default int digestLength() {
        return service(this).digest_length();
    }

    private static ChecksumAlgorithmService service(ChecksumAlgorithm algorithm) {
        ChecksumAlgorithmService service = algorithm.getClass().getAnnotation(ChecksumAlgorithmService.class);
        if (service == null) {
            throw new IllegalStateException(algorithm.getClass().getName() + " implements ChecksumAlgorithm without"
                    + " a @ChecksumAlgorithmService annotation, so it has no name, id or digest length: annotate"
                    + " the class or override name(), id() and digestLength()");
        }
        return service;
    }

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
