package org.cowstack.storage.api.volume;

import java.net.URI;
import java.util.UUID;

/**
 * What {@link VolumeManager#mkfs} wrote.
 *
 * @param device    the device URI
 * @param uuid      the new file system's uuid
 * @param label     its label
 * @param checksum  checksum algorithm name
 * @param blockSize block size in bytes
 * @param size      file-system size in bytes
 */
public record FormatResult(URI device, UUID uuid, String label, String checksum, int blockSize, long size) {
}
