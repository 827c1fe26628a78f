package org.cowstack.storage.shell.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.function.Function;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;

/**
 * Where a backup image is: {@code file:PATH}, a raw image on the host's file system
 * (relative paths from the working directory), or {@code volume:NAME/PATH}, a file in a
 * mounted volume. Its manifest is {@code PATH.manifest} beside it.
 */
public final class ImageRef {
    private static final String FILE = "file:";
    private static final String VOLUME = "volume:";
    static final String MANIFEST_SUFFIX = ".manifest";

    private final String text;
    private final Path host;
    private final Volume volume;
    private final String path;

    private ImageRef(String text, Path host, Volume volume, String path) {
        this.text = text;
        this.host = host;
        this.volume = volume;
        this.path = path;
    }

    /**
     * @param volumes the mounted volume of a name (throws when there is none)
     * @throws IllegalArgumentException one line, when the URI is neither form
     */
    public static ImageRef parse(String uri, Function<String, Volume> volumes) {
        if (uri.startsWith(FILE) && uri.length() > FILE.length()) {
            String p = uri.substring(FILE.length());
            if (p.startsWith("//")) {
                p = p.substring(2);
            }
            if (p.endsWith("/")) {
                throw new IllegalArgumentException(uri + ": a backup image is a file, not a directory");
            }
            return new ImageRef(uri, Path.of(p).toAbsolutePath().normalize(), null, null);
        }
        if (uri.startsWith(VOLUME)) {
            String rest = uri.substring(VOLUME.length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash == rest.length() - 1 || rest.endsWith("/")) {
                throw new IllegalArgumentException(uri + ": a volume target is volume:NAME/PATH, such as "
                        + "volume:backups/vm.full");
            }
            return new ImageRef(uri, null, volumes.apply(rest.substring(0, slash)), rest.substring(slash));
        }
        throw new IllegalArgumentException(uri + ": a backup image is file:PATH (a raw image on the host) or "
                + "volume:NAME/PATH (a file in a mounted volume)");
    }

    @Override
    public String toString() {
        return text;
    }

    /** Whether this is the file {@code path} of {@code v} (a backup must not write over its source). */
    public boolean is(Volume v, String file) throws IOException {
        if (volume != v) {
            return false;
        }
        try {
            return v.stat(path).inode() == v.stat(file).inode();
        } catch (NoSuchFileException absent) {
            return false;
        }
    }

    /**
     * Creates the image, which must not exist yet: a backup never overwrites one.
     *
     * @throws FileAlreadyExistsException when it, or its manifest, exists
     */
    Image create() throws IOException {
        refuseExisting();
        if (host != null) {
            return new HostImage(FileChannel.open(host, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ));
        }
        return new VolumeImage(volume.open(path, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)));
    }

    /**
     * Refuses an image that exists, or whose manifest does: checked before a backup starts
     * (which marks its bitmap and may commit), and again by {@link #create()}.
     *
     * @throws FileAlreadyExistsException when it, or its manifest, exists
     */
    void refuseExisting() throws IOException {
        if (exists(MANIFEST_SUFFIX)) {
            throw new FileAlreadyExistsException(text + MANIFEST_SUFFIX, null,
                    "exists: a backup never overwrites another; remove it or name another target");
        }
        if (host != null) {
            if (Files.exists(host)) {
                throw new FileAlreadyExistsException(text, null,
                        "exists: a backup never overwrites another; remove it or name another target");
            }
            return;
        }
        if (exists("")) {
            throw new FileAlreadyExistsException(text, null,
                    "exists: a backup never overwrites another; remove it or name another target");
        }
    }

    /** Opens the image to read it. */
    Image open() throws IOException {
        if (host != null) {
            return new HostImage(FileChannel.open(host, StandardOpenOption.READ));
        }
        return new VolumeImage(volume.open(path, EnumSet.of(StandardOpenOption.READ)));
    }

    /** Removes the image and its manifest, as far as they exist (a failed backup leaves neither). */
    void delete() throws IOException {
        if (host != null) {
            Files.deleteIfExists(host);
            Files.deleteIfExists(manifestPath());
            return;
        }
        for (String p : new String[] {path + MANIFEST_SUFFIX, path}) {
            try {
                volume.delete(p);
            } catch (NoSuchFileException absent) {
                // nothing to remove
            }
        }
    }

    /** Stores the manifest durably: written to a temporary name, synced, then renamed over. */
    void writeManifest(String manifest) throws IOException {
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        if (host != null) {
            Path tmp = host.resolveSibling(host.getFileName() + MANIFEST_SUFFIX + ".tmp");
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.force(true);
            }
            Files.move(tmp, manifestPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(host.getParent());
            return;
        }
        String tmp = path + MANIFEST_SUFFIX + ".tmp";
        try (FileHandle f = volume.open(tmp, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long at = 0;
            while (b.hasRemaining()) {
                at += f.write(b, at);
            }
            f.fsync();
        }
        volume.rename(tmp, path + MANIFEST_SUFFIX);
        volume.sync();
    }

    /**
     * Reads the manifest.
     *
     * @throws NoSuchFileException with a sentence saying the backup did not finish
     */
    String readManifest() throws IOException {
        try {
            if (host != null) {
                return Files.readString(manifestPath(), StandardCharsets.UTF_8);
            }
            try (FileHandle f = volume.open(path + MANIFEST_SUFFIX, EnumSet.of(StandardOpenOption.READ))) {
                long size = f.size();
                if (size > Manifest.MAX_BYTES) {
                    throw new IOException(text + MANIFEST_SUFFIX + ": not a backup manifest (" + size + " bytes)");
                }
                ByteBuffer b = ByteBuffer.allocate((int) size);
                while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                    // reads until full
                }
                return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(text + MANIFEST_SUFFIX, null,
                    "no manifest: not a backup image, or its backup did not finish");
        }
    }

    private boolean exists(String suffix) throws IOException {
        if (host != null) {
            return Files.exists(suffix.isEmpty() ? host : host.resolveSibling(host.getFileName() + suffix));
        }
        try {
            volume.stat(path + suffix);
            return true;
        } catch (NoSuchFileException absent) {
            return false;
        }
    }

    private Path manifestPath() {
        return host.resolveSibling(host.getFileName() + MANIFEST_SUFFIX);
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notOnThisPlatform) {
            // some platforms cannot open a directory; the rename is as durable as they allow
        }
    }

    /** A raw image on the host. */
    private static final class HostImage implements Image {
        private final FileChannel channel;

        HostImage(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(ByteBuffer dst, long offset) throws IOException {
            return channel.read(dst, offset);
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            long at = offset;
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
        }

        @Override
        public void setSize(long size) throws IOException {
            if (channel.size() > size) {
                channel.truncate(size);
            } else if (channel.size() < size) {
                // extend sparsely: one byte at the end
                channel.write(ByteBuffer.allocate(1), size - 1);
            }
        }

        @Override
        public void force() throws IOException {
            channel.force(true);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** A file in a mounted volume. */
    private static final class VolumeImage implements Image {
        private final FileHandle file;

        VolumeImage(FileHandle file) {
            this.file = file;
        }

        @Override
        public int read(ByteBuffer dst, long offset) throws IOException {
            return file.read(dst, offset);
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            long at = offset;
            while (src.hasRemaining()) {
                at += file.write(src, at);
            }
        }

        @Override
        public void setSize(long size) throws IOException {
            file.truncate(size);
        }

        @Override
        public void force() throws IOException {
            file.fsync();
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
