package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
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
 * Sequential buffered I/O of {@code mebibytes} in 1 MiB calls through a crc32c volume on
 * a {@code file:} device, against {@code FileChannel} on a file in the same directory.
 * <ul>
 * <li>write: from an empty volume, fsync at the end; the baseline forces its file.</li>
 * <li>read cold: the host page cache of the image (and of the baseline file) is dropped
 * and the volume mounted afresh before every read, so everything comes from the disk
 * and every block is verified against its checksum.</li>
 * <li>read warm: the files sit in the host page cache; the volume stays mounted, so its
 * own read cache (sized from the heap by default) holds what it read last.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class SequentialBenchmark {
    static final String IMAGE = "sequential.img";
    static final String BASELINE = "sequential.dat";

    @State(Scope.Benchmark)
    public static class Data {
        @Param("1024")
        public int mebibytes;

        final ByteBuffer chunk = Workspace.pattern(Workspace.MIB, true, 1);

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        CowVolume freshVolume() throws IOException {
            return Workspace.create(IMAGE, bytes() * 2, "crc32c", false, MountOptions.defaults());
        }

        /** The baseline file and the volume's {@code /data}, the same bytes; the volume unmounted. */
        Path writeBoth() throws IOException {
            Path baseline = Workspace.file(BASELINE);
            Workspace.writeBaseline(baseline, chunk, bytes());
            CowVolume v = freshVolume();
            Workspace.writeVolumeFile(v, "/data", chunk, bytes());
            v.unmount();
            return baseline;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Workspace.delete(IMAGE);
            Workspace.delete(BASELINE);
        }
    }

    /** A fresh volume for each measured write. */
    @State(Scope.Thread)
    public static class FreshVolume {
        CowVolume volume;

        @Setup(Level.Iteration)
        public void setUp(Data data) throws IOException {
            volume = data.freshVolume();
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            volume.unmount();
        }
    }

    /**
     * No baseline file before each write, removed outside the timed part, as the volume
     * side gets a fresh volume outside it: deleting 1 GiB costs the host file system
     * tens of milliseconds, which the baseline must not pay and the volume not.
     */
    @State(Scope.Thread)
    public static class FreshBaseline {
        @Setup(Level.Iteration)
        public void remove() throws IOException {
            Files.deleteIfExists(Workspace.file(BASELINE));
        }
    }

    /** Both files written once; mounted afresh, with the host cache dropped, before each read. */
    @State(Scope.Thread)
    public static class Cold {
        CowVolume volume;
        Path baseline;

        @Setup(Level.Trial)
        public void write(Data data) throws IOException {
            baseline = data.writeBoth();
        }

        @Setup(Level.Invocation)
        public void evict() throws IOException {
            Workspace.dropCache(baseline);
            Workspace.dropCache(Workspace.file(IMAGE));
            volume = Workspace.mount(IMAGE, false, MountOptions.defaults());
        }

        @TearDown(Level.Invocation)
        public void unmount() throws IOException {
            volume.unmount();
        }
    }

    /** Both files written once and read once before measuring; the volume stays mounted. */
    @State(Scope.Thread)
    public static class Warm {
        CowVolume volume;
        Path baseline;

        @Setup(Level.Trial)
        public void write(Data data) throws IOException {
            baseline = data.writeBoth();
            volume = Workspace.mount(IMAGE, false, MountOptions.defaults());
            Workspace.readBaseline(baseline, ByteBuffer.allocateDirect(Workspace.MIB), data.bytes());
            Workspace.readVolumeFile(volume, "/data", ByteBuffer.allocate(Workspace.MIB), data.bytes());
        }

        @TearDown(Level.Trial)
        public void unmount() throws IOException {
            volume.unmount();
        }
    }

    @Benchmark
    public void baselineWrite(Data data, FreshBaseline fresh) throws IOException {
        Workspace.writeBaseline(Workspace.file(BASELINE), data.chunk, data.bytes());
    }

    @Benchmark
    public void volumeWrite(Data data, FreshVolume fresh) throws IOException {
        Workspace.writeVolumeFile(fresh.volume, "/data", data.chunk, data.bytes());
    }

    // Each side reads into the buffer kind it is fastest with: FileChannel copies heap
    // buffers through a direct one, the volume copies from its own heap pages.

    @Benchmark
    public long baselineReadCold(Data data, Cold cold) throws IOException {
        return Workspace.readBaseline(cold.baseline, ByteBuffer.allocateDirect(Workspace.MIB), data.bytes());
    }

    @Benchmark
    public long volumeReadCold(Data data, Cold cold) throws IOException {
        return Workspace.readVolumeFile(cold.volume, "/data", ByteBuffer.allocate(Workspace.MIB), data.bytes());
    }

    @Benchmark
    public long baselineReadWarm(Data data, Warm warm) throws IOException {
        return Workspace.readBaseline(warm.baseline, ByteBuffer.allocateDirect(Workspace.MIB), data.bytes());
    }

    @Benchmark
    public long volumeReadWarm(Data data, Warm warm) throws IOException {
        return Workspace.readVolumeFile(warm.volume, "/data", ByteBuffer.allocate(Workspace.MIB), data.bytes());
    }
}
