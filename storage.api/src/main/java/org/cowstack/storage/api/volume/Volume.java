package org.cowstack.storage.api.volume;

import java.io.IOException;
import java.net.URI;
import java.nio.file.OpenOption;
import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A mounted file system.
 *
 * <p>Registered as a service with the properties {@value #NAME}, {@value #UUID},
 * {@value #DEVICE}, {@value #STATE} and {@value #CHECKSUM}, updated when they change.
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
    String NAME = "storage.volume.name";
    String UUID = "storage.volume.uuid";
    String DEVICE = "storage.volume.device";
    String STATE = "storage.volume.state";
    String CHECKSUM = "storage.volume.csum";

    String name();

    java.util.UUID uuid();

    String label();

    URI device();

    VolumeState state();

    /** Checksum algorithm name. */
    String checksum();

    /** File-system block size in bytes. */
    int blockSize();

    /** Space accounting, consistent at one instant. */
    SpaceUsage space() throws IOException;

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

    /** Commits everything: durable when it returns. */
    void sync() throws IOException;
}
