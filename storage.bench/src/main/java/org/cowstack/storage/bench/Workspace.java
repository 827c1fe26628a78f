package org.cowstack.storage.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.alloc.BestFit;
import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.alloc.NextFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.csum.Blake2b256;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.csum.Sha256;
import org.cowstack.storage.csum.XxHash64;
import org.cowstack.storage.dax.DaxDeviceProvider;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;

/**
 * Where a benchmark keeps its volume images and baseline files: one directory
 * ({@code -Dbench.dir}, default {@code target/bench-data}), so baseline and volume share
 * a disk. The engine runs here as a library, with every algorithm, policy and strategy
 * of the stack bound directly; the OSGi wiring costs nothing per operation and is
 * measured apart ({@link HotSwapBenchmark}).
 */
final class Workspace {
    static final int MIB = 1 << 20;
    static final int BLOCK = 4096;

    static final VolumeServices SERVICES = VolumeServices.of(
            List.of(new Crc32c(), new XxHash64(), new Sha256(), new Blake2b256()),
            List.of(new FirstFit(), new NextFit(), new BestFit()),
            List.of(new Buffered(), new Direct(), new Bounce(), new Verify(), new NoDataSum()));

    private static final FileDeviceProvider FILES = new FileDeviceProvider();
    private static final DaxDeviceProvider DAX = new DaxDeviceProvider();
    static final Set<OpenOption> CREATE_WRITE = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    static final Set<OpenOption> CREATE_READ_WRITE = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ);

    private Workspace() {
    }

    static Path dir() throws IOException {
        return Files.createDirectories(Path.of(System.getProperty("bench.dir", "target/bench-data")));
    }

    static Path file(String name) throws IOException {
        return dir().resolve(name);
    }

    static URI uri(Path image, boolean direct) {
        return URI.create(image.toUri() + (direct ? "?direct=true" : ""));
    }

    /** Formats a fresh image of {@code bytes} (sparse) with {@code checksum}, and mounts it. */
    static CowVolume create(String name, long bytes, String checksum, boolean direct, MountOptions options)
            throws IOException {
        Path image = file(name);
        Files.deleteIfExists(image);
        return formatAndMount(name, OpenOptions.create(bytes), checksum, direct, options);
    }

    private static CowVolume formatAndMount(String name, OpenOptions open, String checksum, boolean direct,
            MountOptions options) throws IOException {
        try (BlockDevice d = FILES.open(uri(file(name), direct), open)) {
            CowVolume.format(d, FormatOptions.defaults().checksum(checksum), SERVICES, "first-fit");
        }
        return mount(name, direct, options);
    }

    /**
     * As {@link #create}, on an image written in full first (zeros, forced), as a block
     * device or a fully preallocated VM image is: a sparse image makes the host file system
     * allocate (and, under O_DIRECT, journal) each block the volume writes for the first
     * time, a cost a raw overwrite of a written file does not pay.
     */
    static CowVolume createThick(String name, long bytes, String checksum, boolean direct, MountOptions options)
            throws IOException {
        Path image = file(name);
        Files.deleteIfExists(image);
        ByteBuffer zeros = ByteBuffer.allocateDirect(MIB);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeAll(ch::write, zeros, 0, bytes);
            ch.force(true);
        }
        return formatAndMount(name, OpenOptions.readWrite(), checksum, direct, options);
    }

    static CowVolume mount(String name, boolean direct, MountOptions options) throws IOException {
        return mount(name, direct, options, CowVolume.DEFAULT_CACHE_BYTES);
    }

    /** Mounts with a volume cache of {@code cacheBytes} (file pages in the JVM heap). */
    static CowVolume mount(String name, boolean direct, MountOptions options, long cacheBytes) throws IOException {
        URI uri = uri(file(name), direct);
        return CowVolume.mount(name, uri, FILES.open(uri, OpenOptions.readWrite()), SERVICES, options, cacheBytes);
    }

    /** {@code dax:} on an image in the bench directory: the image file mapped into memory, views are its memory. */
    static URI daxUri(String name) throws IOException {
        return URI.create("dax:" + file(name));
    }

    /** As {@link #create}, on a {@code dax:} device over a fresh (sparse) image of {@code bytes}. */
    static CowVolume createDax(String name, long bytes, String checksum, MountOptions options) throws IOException {
        Files.deleteIfExists(file(name));
        try (BlockDevice d = DAX.open(daxUri(name), OpenOptions.create(bytes))) {
            CowVolume.format(d, FormatOptions.defaults().checksum(checksum), SERVICES, "first-fit");
        }
        return mountDax(name, options);
    }

    static CowVolume mountDax(String name, MountOptions options) throws IOException {
        URI uri = daxUri(name);
        return CowVolume.mount(name, uri, DAX.open(uri, OpenOptions.readWrite()), SERVICES, options,
                CowVolume.DEFAULT_CACHE_BYTES);
    }

    static void delete(String name) throws IOException {
        Files.deleteIfExists(file(name));
    }

    /** Deletes a directory and everything below it; nothing when it does not exist. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The kernel's knob to empty every clean cache, writable by root only. */
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    /**
     * Evicts a file from the host page cache ({@code posix_fadvise(DONTNEED)} through GNU
     * dd, which needs no privileges). Only clean pages go, so the file is synced first.
     * As root, the whole page cache is emptied too ({@code drop_caches}, as bench/peers
     * does): the fadvise alone left a freshly written 1 GiB baseline half cached (read in
     * 206 ms where a cold one takes 420 ms), which made the cold rows compare a cold
     * engine with a warm baseline.
     */
    static void dropCache(Path file) throws IOException {
        dropCache(List.of(file));
    }

    /** As {@link #dropCache(Path)} for several files, the whole page cache (as root) emptied once. */
    static void dropCache(List<Path> files) throws IOException {
        for (Path file : files) {
            evict(file);
        }
        if (Files.isWritable(DROP_CACHES)) {
            Files.writeString(DROP_CACHES, "3");
        }
    }

    private static void evict(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Process dd = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0", "status=none")
                .redirectErrorStream(true).start();
        try {
            if (!dd.waitFor(30, TimeUnit.SECONDS) || dd.exitValue() != 0) {
                throw new IOException("dd iflag=nocache failed for " + file + ": "
                        + new String(dd.getInputStream().readAllBytes()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while dropping the cache of " + file, e);
        }
    }

    /** A buffer of {@code size} bytes of non-repeating, non-zero data (a zero page could be skipped). */
    static ByteBuffer pattern(int size, boolean direct, long seed) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        while (b.remaining() >= 8) {
            b.putLong(random.nextLong() | 1);
        }
        return b.flip();
    }

    /** {@code FileChannel} and {@code FileHandle} positional read or write: the same loops serve both. */
    @FunctionalInterface
    interface PositionalIo {
        int apply(ByteBuffer buffer, long position) throws IOException;
    }

    /** Writes {@code bytes} at {@code start} as whole copies of {@code chunk}. */
    static void writeAll(PositionalIo write, ByteBuffer chunk, long start, long bytes) throws IOException {
        for (long at = 0; at < bytes; at += chunk.capacity()) {
            ByteBuffer b = chunk.duplicate().clear();
            while (b.hasRemaining()) {
                write.apply(b, start + at + b.position());
            }
        }
    }

    /** Reads {@code bytes} in buffer-sized pieces; answers a byte of each so nothing is optimised away. */
    static long readAll(PositionalIo read, ByteBuffer b, long bytes) throws IOException {
        long sum = 0;
        for (long at = 0; at < bytes; at += b.capacity()) {
            b.clear();
            while (b.hasRemaining()) {
                if (read.apply(b, at + b.position()) < 0) {
                    throw new IOException("end of file at " + (at + b.position()) + " of " + bytes);
                }
            }
            sum += b.get(7);
        }
        return sum;
    }

    /** A baseline file of {@code bytes} written through FileChannel and forced. */
    static void writeBaseline(Path f, ByteBuffer chunk, long bytes) throws IOException {
        Files.deleteIfExists(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeAll(ch::write, chunk, 0, bytes);
            ch.force(true);
        }
    }

    static long readBaseline(Path f, ByteBuffer b, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            return readAll(ch::read, b, bytes);
        }
    }

    /** A file of {@code bytes} written through the volume and fsynced. */
    static void writeVolumeFile(CowVolume v, String path, ByteBuffer chunk, long bytes) throws IOException {
        try (FileHandle f = v.open(path, CREATE_WRITE)) {
            writeAll(f::write, chunk, 0, bytes);
            f.fsync();
        }
    }

    static long readVolumeFile(CowVolume v, String path, ByteBuffer b, long bytes) throws IOException {
        try (FileHandle f = v.open(path, READ)) {
            return readAll(f::read, b, bytes);
        }
    }
}
