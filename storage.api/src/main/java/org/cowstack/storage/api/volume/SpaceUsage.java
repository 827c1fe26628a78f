package org.cowstack.storage.api.volume;

/**
 * Space accounting of a volume, in bytes.
 *
 * @param size     file-system size
 * @param used     bytes in allocated blocks (data and metadata), counted once however shared
 * @param reserved bytes promised to accepted writes that are not yet allocated
 * @param free     bytes a new write can still get: size - used - reserved
 * @param shared   bytes in blocks referenced more than once
 */
public record SpaceUsage(long size, long used, long reserved, long free, long shared) {
}
