package org.cowstack.storage.api.volume;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The engine's entry point: formats devices and mounts volumes.
 *
 * <p>Thread safety: all methods may be called concurrently; mounting and unmounting
 * one name are serialised.
 */
@ProviderType
public interface VolumeManager {

    /**
     * Writes a new, empty file system on a device, creating the device's backing store
     * when {@link FormatOptions#size()} is given and it does not exist.
     *
     * @return the new file system's identity and geometry
     * @throws org.cowstack.storage.api.InvalidArgumentException for a bad block size, a
     *         size too small for the metadata, or an unknown scheme
     * @throws org.cowstack.storage.api.NotSupportedException for a checksum algorithm
     *         that is not installed
     * @throws IOException when the device fails; the device may then hold a partial
     *         image that no mount accepts
     */
    FormatResult mkfs(URI device, FormatOptions options) throws IOException;

    /**
     * Mounts the file system on {@code device} as {@code name} and registers it as a
     * {@link Volume} service. Mounting a name already mounted on the same device with
     * the same options returns the mounted volume unchanged.
     *
     * @throws org.cowstack.storage.api.CorruptImageException when the device does not
     *         hold a valid image
     * @throws org.cowstack.storage.api.InvalidArgumentException when the name is
     *         malformed or already mounted on another device
     * @throws IOException when the device cannot be opened or read
     */
    Volume mount(String name, URI device, MountOptions options) throws IOException;

    /**
     * Commits all dirty data, closes the device and unregisters the volume. Open file
     * handles become invalid.
     *
     * @throws java.nio.file.NoSuchFileException when no volume has that name
     * @throws IOException when the final commit fails; the volume is then offline and
     *         the device holds the previous committed state
     */
    void unmount(String name) throws IOException;

    /**
     * The options a mounted volume uses now: those it was mounted with, with the
     * allocation policy and DIO strategy as last changed. Empty when no volume has that name.
     */
    Optional<MountOptions> options(String name);

    /**
     * Changes the allocation policy of a mounted volume; it applies from the volume's
     * next allocation.
     *
     * @throws java.nio.file.NoSuchFileException when no volume has that name
     * @throws org.cowstack.storage.api.NotSupportedException when no policy of that name is installed
     */
    void allocationPolicy(String name, String policy) throws IOException;

    /**
     * Changes the DIO fallback strategy of a mounted volume; it applies from the
     * volume's next direct write.
     *
     * @throws java.nio.file.NoSuchFileException when no volume has that name
     * @throws org.cowstack.storage.api.NotSupportedException when no strategy of that name is installed
     */
    void dioStrategy(String name, String strategy) throws IOException;

    /** The mounted volume of that name. */
    Optional<Volume> volume(String name);

    /** Every mounted volume, by name. */
    List<Volume> volumes();
}
