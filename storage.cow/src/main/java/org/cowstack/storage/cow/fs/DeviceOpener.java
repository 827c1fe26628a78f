package org.cowstack.storage.cow.fs;

import java.io.IOException;

import org.cowstack.storage.api.device.BlockDevice;

/**
 * Opens a mounted volume's device again, read-only or for writing: what a remount to
 * read-write needs when the volume was mounted from a device opened read-only. The
 * volume manager gives one from the device's provider.
 */
@FunctionalInterface
public interface DeviceOpener {
    BlockDevice open(boolean readOnly) throws IOException;
}
