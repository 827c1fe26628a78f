package org.cowstack.storage.device.base;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.device.OpenOptions;

/**
 * An image file opened for a device: created sparse or grown when asked, then opened
 * and locked so that a second process cannot open it read-write at the same time
 * (shared lock for readers, exclusive for a writer, as qemu's image locking does).
 *
 * <p>Creating and growing happen before the lock is taken because POSIX record locks,
 * which Java uses, are dropped when the process closes any descriptor of the file:
 * a {@link RandomAccessFile} opened for {@code setLength} after locking would release
 * the lock.
 */
public final class BackingFile {
    private final Path path;
    private final String resource;
    private final Set<OpenOption> openOptions;
    private final boolean readOnly;
    private volatile FileChannel channel;
    private FileLock lock;

    private BackingFile(Path path, String resource, Set<OpenOption> openOptions, boolean readOnly) {
        this.path = path;
        this.resource = resource;
        this.openOptions = openOptions;
        this.readOnly = readOnly;
    }

    /** The key under which a provider tracks opens of {@code path}: its real path once it exists. */
    public static String key(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        try {
            return absolute.toRealPath().toString();
        } catch (IOException e) {
            return absolute.toString();
        }
    }

    /**
     * Creates or grows the file as {@code options} ask, opens it with {@code extra}
     * channel options and locks it.
     *
     * @param resource the device URI, for messages
     * @throws NoSuchFileException when it does not exist and is not to be created
     * @throws BusyException when another process holds a conflicting lock
     * @throws NoSpaceException when the file system refuses the size
     */
    public static BackingFile open(Path path, OpenOptions options, Set<? extends OpenOption> extra, String resource)
            throws IOException {
        if (options.isCreate()) {
            createOrGrow(path, options.size(), resource);
        } else if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null,
                    "no such device file (storage:mkfs --size SIZE creates it)");
        }
        if (Files.isDirectory(path)) {
            throw new InvalidArgumentException("device", resource, "a regular file, not a directory");
        }
        Set<OpenOption> openOptions = new HashSet<>(extra);
        openOptions.add(StandardOpenOption.READ);
        if (!options.isReadOnly()) {
            openOptions.add(StandardOpenOption.WRITE);
        }
        BackingFile file = new BackingFile(path, resource, openOptions, options.isReadOnly());
        file.channel = FileChannel.open(path, openOptions);
        boolean locked = false;
        try {
            file.lock();
            locked = true;
        } finally {
            if (!locked) {
                file.channel.close();
            }
        }
        return file;
    }

    private static void createOrGrow(Path path, long size, String resource) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            // Existing images are opened as they are, grown if too small, never shrunk.
        }
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            if (raf.length() < size) {
                raf.setLength(size); // sparse: ftruncate allocates nothing
            }
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("No space")) {
                throw new NoSpaceException(resource, size, "the host file system is full");
            }
            throw e;
        }
    }

    /** Makes a device from an opened file. */
    @FunctionalInterface
    public interface DeviceFactory<D> {
        D create(BackingFile file) throws IOException;
    }

    /**
     * {@link #open} the file, then {@code factory} makes the device on it; if that fails,
     * the file is closed (and unlocked) again.
     */
    public static <D> D openDevice(Path path, OpenOptions options, Set<? extends OpenOption> extra, String resource,
            DeviceFactory<D> factory) throws IOException {
        BackingFile file = open(path, options, extra, resource);
        boolean made = false;
        try {
            D device = factory.create(file);
            made = true;
            return device;
        } finally {
            if (!made) {
                file.close();
            }
        }
    }

    private void lock() throws IOException {
        try {
            lock = channel.tryLock(0, Long.MAX_VALUE, readOnly);
        } catch (OverlappingFileLockException e) {
            // This process holds a lock on the file already. OpenDevices admitted this
            // opener, so the holders are readers like this one: share their lock.
            if (!readOnly) {
                throw new BusyException(resource, "it is locked by another opener in this process");
            }
            return;
        }
        if (lock == null) {
            throw new BusyException(resource, "another process has it open" + (readOnly ? " read-write" : "")
                    + " (file lock on " + path + ")");
        }
    }

    public Path path() {
        return path;
    }

    public FileChannel channel() {
        return channel;
    }

    /** Bytes in the file now. */
    public long length() throws IOException {
        return channel.size();
    }

    /**
     * Opens the file again after its channel was closed under us: a thread interrupted
     * during an NIO transfer closes the channel for every thread
     * ({@link java.nio.channels.ClosedByInterruptException}). A device must survive an
     * administrator's Ctrl-C.
     *
     * @param broken the channel the caller saw fail; if another thread already replaced
     *               it, nothing is done
     */
    public synchronized FileChannel reopen(FileChannel broken) throws IOException {
        if (channel != broken && channel.isOpen()) {
            return channel;
        }
        channel = FileChannel.open(path, openOptions);
        lock();
        return channel;
    }

    /** Releases the lock and closes the file. */
    public synchronized void close() throws IOException {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }

    /** Rounds the file length down to whole device blocks; fails when not even one fits. */
    public long deviceSize(int blockSize) throws IOException {
        long length = length();
        long size = length - length % blockSize;
        if (size < blockSize) {
            throw new InvalidArgumentException("device " + resource, length + " bytes",
                    "an image of at least one " + blockSize + "-byte block");
        }
        return size;
    }
}
