package org.cowstack.storage.api.volume;

import org.cowstack.storage.api.InvalidArgumentException;

/** Options for {@link VolumeManager#mkfs}. Immutable; start from {@link #defaults()}. */
public final class FormatOptions {
    /** Smallest and largest file-system block size. */
    public static final int MIN_BLOCK_SIZE = 512;
    public static final int MAX_BLOCK_SIZE = 64 * 1024;

    /** Profile names: one copy of each block, or two on the same device, far apart. */
    public static final String SINGLE = "single";
    public static final String DUP = "dup";

    private static final FormatOptions DEFAULTS = new FormatOptions("crc32c", 4096, 0, "", SINGLE, DUP);

    private final String checksum;
    private final int blockSize;
    private final long size;
    private final String label;
    private final String dataProfile;
    private final String metadataProfile;

    private FormatOptions(String checksum, int blockSize, long size, String label, String dataProfile,
            String metadataProfile) {
        this.checksum = checksum;
        this.blockSize = blockSize;
        this.size = size;
        this.label = label;
        this.dataProfile = dataProfile;
        this.metadataProfile = metadataProfile;
    }

    /** crc32c, 4 KiB blocks, the whole device, no label, data {@code single}, metadata {@code dup}. */
    public static FormatOptions defaults() {
        return DEFAULTS;
    }

    /** Checksum algorithm by name. */
    public FormatOptions checksum(String name) {
        return new FormatOptions(name, blockSize, size, label, dataProfile, metadataProfile);
    }

    /**
     * File-system block size: a power of two from {@value #MIN_BLOCK_SIZE} to
     * {@value #MAX_BLOCK_SIZE}.
     */
    public FormatOptions blockSize(int bytes) throws InvalidArgumentException {
        if (bytes < MIN_BLOCK_SIZE || bytes > MAX_BLOCK_SIZE || Integer.bitCount(bytes) != 1) {
            throw new InvalidArgumentException("blockSize", bytes,
                    "power of two, " + MIN_BLOCK_SIZE + ".." + MAX_BLOCK_SIZE);
        }
        return new FormatOptions(checksum, bytes, size, label, dataProfile, metadataProfile);
    }

    /**
     * File-system size in bytes; 0 means the whole device. A device that does not exist
     * is created with this size.
     */
    public FormatOptions size(long bytes) throws InvalidArgumentException {
        if (bytes < 0) {
            throw new InvalidArgumentException("size", bytes, "a byte count >= 0");
        }
        return new FormatOptions(checksum, blockSize, bytes, label, dataProfile, metadataProfile);
    }

    /** A label of at most 255 UTF-8 bytes. */
    public FormatOptions label(String text) throws InvalidArgumentException {
        if (text == null || text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
            throw new InvalidArgumentException("label", text, "at most 255 UTF-8 bytes");
        }
        return new FormatOptions(checksum, blockSize, size, text, dataProfile, metadataProfile);
    }

    /** How many copies file data keeps: {@value #SINGLE} or {@value #DUP}. */
    public FormatOptions dataProfile(String profile) throws InvalidArgumentException {
        return new FormatOptions(checksum, blockSize, size, label, profile(profile, "dataProfile"), metadataProfile);
    }

    /** How many copies metadata keeps: {@value #SINGLE} or {@value #DUP}. */
    public FormatOptions metadataProfile(String profile) throws InvalidArgumentException {
        return new FormatOptions(checksum, blockSize, size, label, dataProfile, profile(profile, "metadataProfile"));
    }

    private static String profile(String name, String what) throws InvalidArgumentException {
        if (!SINGLE.equals(name) && !DUP.equals(name)) {
            throw new InvalidArgumentException(what, name, SINGLE + " or " + DUP);
        }
        return name;
    }

    public String dataProfile() {
        return dataProfile;
    }

    public String metadataProfile() {
        return metadataProfile;
    }

    public String checksum() {
        return checksum;
    }

    public int blockSize() {
        return blockSize;
    }

    public long size() {
        return size;
    }

    public String label() {
        return label;
    }
}
