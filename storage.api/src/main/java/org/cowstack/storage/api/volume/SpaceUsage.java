package org.cowstack.storage.api.volume;

/**
 * Space accounting of a volume, in bytes.
 *
 * @param size     file-system size
 * @param used     bytes in allocated blocks (data and metadata, every copy), counted once however shared
 * @param reserved bytes promised to accepted writes that are not yet allocated (every copy)
 * @param free     bytes of file data a new write can still get: what is left after used,
 *                 reserved and the metadata reserve, divided by the copies data keeps
 * @param shared   bytes in blocks referenced more than once
 * @param dataProfile     how many copies data keeps: {@code single} or {@code dup}
 * @param metadataProfile how many copies metadata keeps
 */
public record SpaceUsage(long size, long used, long reserved, long free, long shared, String dataProfile,
        String metadataProfile) {
    /** Usage of a volume with one copy of everything. */
    public SpaceUsage(long size, long used, long reserved, long free, long shared) {
        this(size, used, reserved, free, shared, "single", "single");
    }
}
