package org.cowstack.storage.api.volume;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The engine's entry point: formats devices and mounts volumes.
 *
 * <p>Which volumes exist is configuration, like an fstab: {@link #mount} and
 * {@link #unmount} and the policy setters record their effect as a Config Admin factory
 * configuration ({@value #VOLUME_FACTORY_PID}) when Config Admin is installed, so the
 * same volumes are mounted again, with the same policies, after a restart of the
 * framework or of the engine. A configuration created by other means (a file, the
 * {@code cm} commands) mounts its volume too.
 *
 * <p>Thread safety: all methods may be called concurrently; mounting and unmounting
 * one name are serialised.
 */
@ProviderType
public interface VolumeManager {
    /** The factory PID of volume configurations; their properties are described by metatype. */
    String VOLUME_FACTORY_PID = "org.cowstack.storage.volume";
    /**
     * The PID of the engine's own configuration (metatype-described): {@code cacheSize},
     * the page cache size of each volume, in bytes or as {@code 512m}; 0 or absent: a
     * quarter of the JVM's maximum heap, bounded.
     */
    String ENGINE_PID = "org.cowstack.storage.engine";

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
     * {@link Volume} service, and records it as a configuration. Mounting a name already
     * mounted on the same device returns the mounted volume unchanged, so scripts can be
     * run again. Every service the volume needs must be installed; nothing is recorded
     * when the mount fails.
     *
     * @throws org.cowstack.storage.api.CorruptImageException when the device does not
     *         hold a valid image
     * @throws org.cowstack.storage.api.InvalidArgumentException when the name is malformed
     * @throws org.cowstack.storage.api.BusyException when the name is mounted on another device
     * @throws org.cowstack.storage.api.NotSupportedException when the device backend,
     *         checksum algorithm, allocation policy or DIO strategy is not installed
     * @throws IOException when the device cannot be opened or read
     */
    Volume mount(String name, URI device, MountOptions options) throws IOException;

    /**
     * Commits all dirty data, closes the device, unregisters the volume and removes its
     * configuration. Open file handles become invalid. A volume that is configured but
     * not mounted (failed, or waiting for its device backend) loses its configuration.
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

    /**
     * Changes the mode of a volume without unmounting it ({@link Volume#remount}: to
     * read-only it commits, then refuses changes; open files stay open) and records the
     * mode in the volume's configuration, so the next start mounts it so. A volume that
     * is configured but not mounted now only has its configuration changed.
     *
     * @throws java.nio.file.NoSuchFileException when no volume has that name
     * @throws org.cowstack.storage.api.ReadOnlyException when it cannot be made writable
     *         (its device cannot be opened for writing); the mode is then unchanged
     * @throws IOException when the commit before going read-only fails; the mode is then unchanged
     */
    void remount(String name, boolean readOnly) throws IOException;

    /**
     * Mounts a read-only volume again from its device, to see what another process or
     * machine committed there since it was mounted (a device several hosts can open, such
     * as {@code s3:}). Its open files are closed, as at an unmount; its name, settings and
     * configuration stay. When the device cannot be mounted again the volume is FAILED
     * with the reason, and its configuration mounts it at the next start.
     *
     * @return the generation mounted now
     * @throws java.nio.file.NoSuchFileException when no volume has that name
     * @throws org.cowstack.storage.api.InvalidArgumentException when it is not mounted, or
     *         not configured read-only (a writer's volume holds the newest commit: its own)
     * @since 1.8
     */
    long refresh(String name) throws IOException;

    /**
     * Checks the consistency of the image on a device that is not mounted: opens it
     * read-only through its device backend, checks its newest valid commit and closes it;
     * nothing is written. When a volume of this process is mounted on {@code device}, that
     * volume is checked instead ({@link Volume#check()}: its last commit).
     *
     * @throws org.cowstack.storage.api.InvalidArgumentException when the URI has no scheme
     * @throws org.cowstack.storage.api.NotSupportedException when no backend of its scheme
     *         or the image's checksum algorithm is not installed
     * @throws org.cowstack.storage.api.CorruptImageException when the device holds no valid
     *         superblock (not a volume, or one beyond this check)
     * @throws IOException when the device cannot be opened or read
     */
    org.cowstack.storage.api.scrub.CheckReport check(URI device) throws IOException;

    /** The mounted volume of that name. */
    Optional<Volume> volume(String name);

    /** Every mounted volume, by name. */
    List<Volume> volumes();

    /**
     * Every volume mounted or configured, by name, with its state: what
     * {@code storage:volumes} shows, including configured volumes that wait for a
     * service or failed to mount.
     */
    List<VolumeStatus> status();
}
