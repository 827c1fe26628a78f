package org.cowstack.storage.api;

import java.util.HexFormat;

/**
 * Data or metadata read back does not match the checksum stored for it (EIO in the
 * kernel's terms, with the facts a scrub or an administrator needs).
 *
 * <p>The bad data is never returned to the caller. Other blocks of the same request
 * that verified are not affected; a retry that avoids the named block succeeds.
 */
public class ChecksumMismatchException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String volume;
    private final String file;
    private final long offset;
    private final long block;
    private final String algorithm;
    private final byte[] expected;
    private final byte[] actual;

    /**
     * @param volume    volume name
     * @param file      path of the file, or a description of the metadata tree
     * @param offset    byte offset within the file (or tree) of the bad block
     * @param block     physical block number on the device
     * @param algorithm checksum algorithm name
     * @param expected  digest stored on disk
     * @param actual    digest computed from the data read
     */
    public ChecksumMismatchException(String volume, String file, long offset, long block, String algorithm,
            byte[] expected, byte[] actual) {
        super(String.format("checksum mismatch in volume %s, %s at offset %d (block %d): expected %s %s, got %s",
                volume, file, offset, block, algorithm, hex(expected), hex(actual)));
        this.volume = volume;
        this.file = file;
        this.offset = offset;
        this.block = block;
        this.algorithm = algorithm;
        this.expected = expected.clone();
        this.actual = actual.clone();
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    public String volume() {
        return volume;
    }

    public String file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    public long block() {
        return block;
    }

    public String algorithm() {
        return algorithm;
    }

    public byte[] expected() {
        return expected.clone();
    }

    public byte[] actual() {
        return actual.clone();
    }
}
