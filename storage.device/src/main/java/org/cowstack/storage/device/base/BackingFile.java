package org.cowstack.storage.device.base;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
 *
 * <p>What an open created (the file, the directories made for it) is remembered: an
 * open that fails removes it again, and so does {@link #removeCreated()} once the
 * device is closed. A permission the host refuses is reported here, the one place
 * files are opened, as {@code PATH: permission denied} naming the image as given.
 */
public final class BackingFile {
    private final Path path;
    private final String resource;
    private final Set<OpenOption> openOptions;
    private final boolean readOnly;
    private final Made made;
    private volatile FileChannel channel;
    private FileLock lock;

    private BackingFile(Path path, String resource, Set<OpenOption> openOptions, boolean readOnly, Made made) {
        this.path = path;
        this.resource = resource;
        this.openOptions = openOptions;
        this.readOnly = readOnly;
        this.made = made;
    }

    /** What one open created: the image file or not, and the directories made for it, outermost first. */
    private static final class Made {
        boolean file;
        final List<Path> directories = new ArrayList<>();

        /** Removes them, once, innermost first; a directory something else was put in meanwhile stays. */
        void undo(Path path) throws IOException {
            if (file) {
                file = false;
                Files.deleteIfExists(path);
            }
            while (!directories.isEmpty()) {
                try {
                    Files.deleteIfExists(directories.remove(directories.size() - 1));
                } catch (DirectoryNotEmptyException e) {
                    directories.clear();
                }
            }
        }

        /** {@link #undo} for an open that failed: its failure is what the caller hears about. */
        void undo(Path path, Throwable failure) {
            try {
                undo(path);
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
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
     * channel options and locks it. What it created is removed again if it fails.
     *
     * @param resource the device URI, for messages
     * @throws NoSuchFileException when it does not exist and is not to be created
     * @throws BusyException when another process holds a conflicting lock
     * @throws NoSpaceException when the file system refuses the size
     * @throws AccessDeniedException {@code PATH: permission denied} when the host refuses
     *         to open or create it
     */
    public static BackingFile open(Path path, OpenOptions options, Set<? extends OpenOption> extra, String resource)
            throws IOException {
        try {
            return openFile(path, options, extra, resource);
        } catch (IOException e) {
            throw denied(e, path);
        }
    }

    private static BackingFile openFile(Path path, OpenOptions options, Set<? extends OpenOption> extra,
            String resource) throws IOException {
        Made made = new Made();
        BackingFile file;
        try {
            if (options.isCreate()) {
                createOrGrow(path, options.size(), resource, made);
            }
            BasicFileAttributes attributes = attributes(path);
            if (attributes == null) {
                throw new NoSuchFileException(path.toString(), null,
                        "no such device file (storage:mkfs --size SIZE creates it)");
            }
            if (attributes.isDirectory()) {
                throw new InvalidArgumentException("device", resource, "a regular file, not a directory");
            }
            Set<OpenOption> openOptions = new HashSet<>(extra);
            openOptions.add(StandardOpenOption.READ);
            if (!options.isReadOnly()) {
                openOptions.add(StandardOpenOption.WRITE);
            }
            file = new BackingFile(path, resource, openOptions, options.isReadOnly(), made);
            file.channel = FileChannel.open(path, openOptions);
        } catch (IOException | RuntimeException e) {
            // Not opened (no room for the size, O_DIRECT refused...): what this open created goes again.
            made.undo(path, e);
            throw e;
        }
        boolean locked = false;
        try {
            // Refused only when another opener holds the file: what it holds is not ours to remove.
            file.lock();
            locked = true;
        } finally {
            if (!locked) {
                file.channel.close();
            }
        }
        return file;
    }

    /** The file's attributes, or null when it does not exist. */
    private static BasicFileAttributes attributes(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Creates the file and the directories it needs, or grows it, recording in {@code made} what it created. */
    private static void createOrGrow(Path path, long size, String resource, Made made) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            makeDirectories(parent, made.directories);
        }
        try {
            Files.createFile(path);
            made.file = true;
        } catch (FileAlreadyExistsException e) {
            // Existing images are opened as they are, grown if too small, never shrunk.
        }
        try {
            // Through NIO first: a refusal then comes typed, not as RandomAccessFile's
            // FileNotFoundException with the reason in parentheses.
            FileChannel.open(path, StandardOpenOption.WRITE).close();
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                if (raf.length() < size) {
                    raf.setLength(size); // sparse: ftruncate allocates nothing
                }
            }
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("No space")) {
                throw new NoSpaceException(resource, size, "the host file system is full");
            }
            throw e;
        }
    }

    /** {@code mkdir -p}, adding each directory it makes to {@code made}, outermost first. */
    private static void makeDirectories(Path dir, List<Path> made) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && attributes(d) == null; d = d.getParent()) {
            missing.add(0, d);
        }
        for (Path d : missing) {
            try {
                Files.createDirectory(d);
                made.add(d);
            } catch (FileAlreadyExistsException e) {
                // made by someone else meanwhile: theirs
            }
        }
    }

    /**
     * A refused permission in words, {@code PATH: permission denied}: the JDK's own
     * exception carries only the path, which reads like no error at all. It names the
     * image as given, and the file refused when that is another (a directory to make or
     * to search). Anything else is returned as it is. The one place this is decided:
     * every open of an image file goes through here.
     */
    static IOException denied(IOException e, Path image) {
        if (!(e instanceof AccessDeniedException) || ((AccessDeniedException) e).getReason() != null) {
            return e;
        }
        String refused = ((AccessDeniedException) e).getFile();
        boolean same = refused == null || refused.equals(image.toString())
                || Path.of(refused).toAbsolutePath().equals(image.toAbsolutePath());
        AccessDeniedException words = new AccessDeniedException(image.toString(), null,
                same ? "permission denied" : "permission denied (" + refused + ")");
        words.initCause(e);
        return words;
    }

    /** Makes a device from an opened file. */
    @FunctionalInterface
    public interface DeviceFactory<D> {
        D create(BackingFile file) throws IOException;
    }

    /**
     * {@link #open} the file, then {@code factory} makes the device on it; if that fails,
     * the file is closed (and unlocked) again, and removed if this open created it.
     */
    public static <D> D openDevice(Path path, OpenOptions options, Set<? extends OpenOption> extra, String resource,
            DeviceFactory<D> factory) throws IOException {
        BackingFile file = open(path, options, extra, resource);
        try {
            return factory.create(file);
        } catch (IOException | RuntimeException | Error e) {
            try {
                file.close();
                file.removeCreated();
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
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
        try {
            channel = FileChannel.open(path, openOptions);
        } catch (IOException e) {
            throw denied(e, path);
        }
        lock();
        return channel;
    }

    /**
     * After {@link #close()}: removes the file and the directories made for it if this
     * open created them; a file that existed before stays.
     */
    public void removeCreated() throws IOException {
        made.undo(path);
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
