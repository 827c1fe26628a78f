package org.cowstack.storage.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.cow.fs.VolumeServices;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A sequential buffered write of 256 MiB in 1 MiB writes plus fsync, and reading it
 * back, through a volume on a file: device, against FileChannel doing the same on a
 * file in the same directory (so the same disk) in the same run. Compare the ratio.
 * The read is after a remount: the volume's page cache is cold, the host's is warm, as
 * it is for the baseline file.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class SequentialBenchmark {
    static final int CHUNK = 1 << 20;

    static final VolumeServices SERVICES = VolumeServices.of(List.of(new Crc32c()), List.of(new FirstFit()),
            List.of(new org.cowstack.storage.dio.Buffered()));

    /** Where both the baseline file and the volume image live. */
    @State(Scope.Benchmark)
    public static class Disk {
        @Param("256")
        public int mebibytes;

        Path dir;
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        final FileDeviceProvider files = new FileDeviceProvider();

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createDirectories(Path.of(System.getProperty("bench.dir", "target/bench-data")));
            for (int i = 0; i < CHUNK; i++) {
                chunk.put(i, (byte) (i * 31 + 7));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            files.deactivate();
            Files.deleteIfExists(dir.resolve("baseline.dat"));
            Files.deleteIfExists(dir.resolve("volume.img"));
        }

        URI image() {
            return dir.resolve("volume.img").toUri();
        }

        CowVolume freshVolume() throws IOException {
            Files.deleteIfExists(dir.resolve("volume.img"));
            try (BlockDevice d = files.open(image(), OpenOptions.create(bytes() * 2))) {
                CowVolume.format(d, FormatOptions.defaults(), SERVICES, "first-fit");
            }
            return mount();
        }

        CowVolume mount() throws IOException {
            return CowVolume.mount("bench", image(), files.open(image(), OpenOptions.readWrite()), SERVICES,
                    MountOptions.defaults(), CowVolume.DEFAULT_CACHE_BYTES);
        }

        void writeBaseline() throws IOException {
            Path f = dir.resolve("baseline.dat");
            Files.deleteIfExists(f);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeChunks(ch::write);
                ch.force(true);
            }
        }

        void writeVolume(CowVolume v) throws IOException {
            try (FileHandle f = v.open("/data", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
                writeChunks(f::write);
                f.fsync();
            }
        }

        long bytes() {
            return (long) mebibytes << 20;
        }

        private void writeChunks(PositionalIo write) throws IOException {
            for (long at = 0; at < bytes(); at += CHUNK) {
                ByteBuffer b = chunk.duplicate();
                while (b.hasRemaining()) {
                    write.apply(b, at + b.position());
                }
            }
        }
    }

    /** {@code FileChannel} and {@code FileHandle} positional read or write: the same loop serves both. */
    @FunctionalInterface
    interface PositionalIo {
        int apply(ByteBuffer buffer, long position) throws IOException;
    }

    /** Reads {@code bytes} in chunks into {@code b}; answers a byte of each chunk so nothing is optimised away. */
    static long readChunks(PositionalIo read, ByteBuffer b, long bytes) throws IOException {
        long sum = 0;
        for (long at = 0; at < bytes; at += CHUNK) {
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

    /** A fresh volume for each measured write. */
    @State(Scope.Thread)
    public static class FreshVolume {
        CowVolume volume;

        @Setup(Level.Iteration)
        public void setUp(Disk disk) throws IOException {
            volume = disk.freshVolume();
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            volume.unmount();
        }
    }

    /** Data written before the measured reads; remounted so the volume's cache is cold. */
    @State(Scope.Thread)
    public static class Written {
        CowVolume volume;

        @Setup(Level.Trial)
        public void write(Disk disk) throws IOException {
            disk.writeBaseline();
            CowVolume v = disk.freshVolume();
            disk.writeVolume(v);
            v.unmount();
        }

        @Setup(Level.Iteration)
        public void mount(Disk disk) throws IOException {
            volume = disk.mount();
        }

        @TearDown(Level.Iteration)
        public void unmount() throws IOException {
            volume.unmount();
        }
    }

    @Benchmark
    public void baselineWrite(Disk disk) throws IOException {
        disk.writeBaseline();
    }

    @Benchmark
    public void volumeWrite(Disk disk, FreshVolume fresh) throws IOException {
        disk.writeVolume(fresh.volume);
    }

    @Benchmark
    public long baselineRead(Disk disk, Written written) throws IOException {
        // Each side reads into the buffer kind it is fastest with: FileChannel copies
        // heap buffers through a direct one, the volume copies from its own heap pages.
        try (FileChannel ch = FileChannel.open(disk.dir.resolve("baseline.dat"), StandardOpenOption.READ)) {
            return readChunks(ch::read, ByteBuffer.allocateDirect(CHUNK), disk.bytes());
        }
    }

    @Benchmark
    public long volumeRead(Disk disk, Written written) throws IOException {
        try (FileHandle f = written.volume.open("/data", EnumSet.of(StandardOpenOption.READ))) {
            return readChunks(f::read, ByteBuffer.allocate(CHUNK), disk.bytes());
        }
    }

}
