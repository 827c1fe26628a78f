package org.cowstack.storage.api.volume;

import java.io.IOException;
import java.net.URI;
import java.nio.file.OpenOption;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A mounted file system.
 *
 * <p>Registered as a service with the properties {@value #PROP_NAME}, {@value #PROP_UUID},
 * {@value #PROP_DEVICE}, {@value #PROP_STATE} and {@value #PROP_CHECKSUM}, updated when
 * they change.
 *
 * <p>Namespace errors are the JDK's: {@link java.nio.file.NoSuchFileException},
 * {@link java.nio.file.FileAlreadyExistsException},
 * {@link java.nio.file.DirectoryNotEmptyException},
 * {@link java.nio.file.NotDirectoryException}. Every operation may also fail with
 * {@link org.cowstack.storage.api.ReadOnlyException} (a change on a read-only volume),
 * {@link org.cowstack.storage.api.SuspendedException},
 * {@link org.cowstack.storage.api.OfflineException} and
 * {@link org.cowstack.storage.api.InvalidArgumentException} (a malformed path).
 *
 * <p>Thread safety: all methods may be called concurrently. Namespace operations are
 * atomic: a crash leaves either the old or the new name, never both or neither.
 */
@ProviderType
public interface Volume {
    /** Service property: the volume name, a String. */
    String PROP_NAME = "storage.volume.name";
    /** Service property: the file-system uuid, a String. */
    String PROP_UUID = "storage.volume.uuid";
    /** Service property: the device URI, a String. */
    String PROP_DEVICE = "storage.volume.device";
    /** Service property: the {@link VolumeState} name, a String. */
    String PROP_STATE = "storage.volume.state";
    /** Service property: the checksum algorithm name, a String. */
    String PROP_CHECKSUM = "storage.volume.csum";

    String name();

    UUID uuid();

    String label();

    URI device();

    VolumeState state();

    /** Checksum algorithm name. */
    String checksum();

    /** File-system block size in bytes. */
    int blockSize();

    /** Space accounting, consistent at one instant. */
    SpaceUsage space() throws IOException;

    /** The page cache: its size limit, what it holds, hits, misses and read-ahead since mount. */
    CacheUsage cache();

    /**
     * Opens a regular file. {@link java.nio.file.StandardOpenOption#CREATE} creates it
     * when missing, {@code CREATE_NEW} fails when present, {@code TRUNCATE_EXISTING}
     * truncates it, {@code READ} alone opens it read-only.
     *
     * @throws java.nio.file.FileSystemException "is a directory" when the path names one
     */
    FileHandle open(String path, Set<? extends OpenOption> options) throws IOException;

    /** Creates a directory; its parent must exist. */
    void mkdir(String path) throws IOException;

    /** The entries of a directory, sorted by name. */
    List<DirEntry> list(String path) throws IOException;

    /** Attributes of a file or directory. */
    FileStat stat(String path) throws IOException;

    /** Removes a file, or an empty directory. */
    void delete(String path) throws IOException;

    /** Renames a file or directory, replacing a target file (not a directory) atomically. */
    void rename(String from, String to) throws IOException;

    /**
     * The reverse map: every file offset, metadata tree or reserved area that references
     * the physical block {@code block} (in file-system blocks), as of now. Empty when
     * the block is free.
     *
     * @throws org.cowstack.storage.api.InvalidArgumentException when the block lies outside the volume
     */
    List<BlockOwner> owners(long block) throws IOException;

    /**
     * The volume's scrub job: start, pause, resume, cancel and rate-limit it, and read its
     * progress and report.
     */
    org.cowstack.storage.api.scrub.Scrub scrub();

    /** Damaged file ranges, device error counters and the last scrub's result. */
    org.cowstack.storage.api.scrub.VolumeHealth health() throws IOException;

    /** Sets the device error counters back to zero, durably; returns what they were. */
    org.cowstack.storage.api.scrub.DeviceErrors resetErrors() throws IOException;

    /**
     * Checks the volume's consistency as of its last commit, read from the device (not
     * from caches) without holding writers off: a read-only view of that commit, as
     * {@code storage:check} shows it. Changes nothing, also when it finds problems;
     * uncommitted changes are not covered.
     *
     * @throws IOException when the device cannot be read at all
     */
    org.cowstack.storage.api.scrub.CheckReport check() throws IOException;

    /** Commits everything: durable when it returns. */
    void sync() throws IOException;

    /**
     * Changes the mode of the mounted volume without unmounting it, once the operations
     * in flight have finished. To read-only ({@code true}) it first commits, then refuses
     * every change with {@link org.cowstack.storage.api.ReadOnlyException} and its state
     * is {@link VolumeState#READ_ONLY}; to read-write it takes changes again. Open
     * {@link FileHandle}s survive both: one opened for writing refuses writes while the
     * volume is read-only and writes again afterwards. Changing to the mode the volume
     * has already does nothing. This does not change the volume's configuration;
     * {@link VolumeManager#remount} does both.
     *
     * @throws org.cowstack.storage.api.ReadOnlyException when the volume cannot take
     *         changes (its device cannot be opened for writing, or its image needs
     *         features this engine can only read)
     * @throws IOException when the commit before going read-only fails; the mode is then
     *         unchanged
     */
    void remount(boolean readOnly) throws IOException;
}
