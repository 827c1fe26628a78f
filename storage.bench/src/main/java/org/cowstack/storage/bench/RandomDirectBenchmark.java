package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.volume.FileHandle;
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
 * Random 4 KiB direct writes (through each DIO strategy) and random 4 KiB reads over a
 * file of {@code mebibytes}, on a volume whose {@code file:} device is opened with
 * O_DIRECT, against {@code FileChannel} positional I/O with O_DIRECT on a file of the same
 * size in the same directory. Where the host file system has no O_DIRECT (tmpfs), both
 * sides fall back to the page cache and the log says so. The offsets come from a fixed
 * seed, the same sequence on both sides. The image is written in full before mkfs, as
 * the baseline file is (see {@link Workspace#createThick}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class RandomDirectBenchmark {
    static final String IMAGE = "random.img";
    static final String BASELINE = "random.dat";

    @State(Scope.Thread)
    public static class Io {
        @Param("1024")
        public int mebibytes;

        final ByteBuffer block = Workspace.pattern(2 * Workspace.BLOCK, true, 2).alignedSlice(Workspace.BLOCK)
                .limit(Workspace.BLOCK);
        final SplittableRandom offsets = new SplittableRandom(7);
        boolean direct;

        long nextOffset() {
            return (long) offsets.nextInt(mebibytes * (Workspace.MIB / Workspace.BLOCK)) * Workspace.BLOCK;
        }

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        @Setup(Level.Trial)
        public void probeDirect() throws IOException {
            direct = directSupported(Workspace.dir());
        }

        /**
         * A fresh crc32c volume holding {@code /data} written in full, mounted with
         * {@code options}, on an image written in full (as the baseline file is): copy-on-write
         * puts each write on a block the file did not use, which on a sparse image would be
         * a host block ext4 allocates and journals under O_DIRECT, where the baseline
         * overwrites blocks it has.
         */
        CowVolume writtenVolume(MountOptions options) throws IOException {
            CowVolume v = Workspace.createThick(IMAGE, bytes() * 2, "crc32c", direct, options);
            Workspace.writeVolumeFile(v, "/data", Workspace.pattern(Workspace.MIB, true, 3), bytes());
            return v;
        }
    }

    /** The baseline file, opened with O_DIRECT where the host file system has it. */
    @State(Scope.Thread)
    public static class Baseline {
        FileChannel channel;

        @Setup(Level.Trial)
        public void open(Io io) throws IOException {
            Path f = Workspace.file(BASELINE);
            Workspace.writeBaseline(f, Workspace.pattern(Workspace.MIB, true, 3), io.bytes());
            Set<OpenOption> options = new HashSet<>(Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
            if (io.direct) {
                options.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
            }
            channel = FileChannel.open(f, options);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            Workspace.delete(BASELINE);
        }
    }

    /** A volume with the file written in full, its direct writes going through {@code strategy}. */
    @State(Scope.Thread)
    public static class Volume {
        @Param({"direct", "bounce", "verify", "buffered", "nodatasum"})
        public String strategy;

        CowVolume volume;
        FileHandle file;

        @Setup(Level.Trial)
        public void open(Io io) throws IOException {
            volume = io.writtenVolume(MountOptions.defaults().dioStrategy(strategy));
            file = volume.open("/data", Workspace.CREATE_READ_WRITE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            file.close();
            volume.unmount();
            Workspace.delete(IMAGE);
        }
    }

    /** Reads need no strategy: a volume of its own, so they are not multiplied by five. */
    @State(Scope.Thread)
    public static class ReadVolume {
        CowVolume volume;
        FileHandle file;

        @Setup(Level.Trial)
        public void open(Io io) throws IOException {
            io.writtenVolume(MountOptions.defaults()).unmount();
            Workspace.dropCache(Workspace.file(IMAGE));
            volume = Workspace.mount(IMAGE, io.direct, MountOptions.defaults());
            file = volume.open("/data", Workspace.READ);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            file.close();
            volume.unmount();
            Workspace.delete(IMAGE);
        }
    }

    @Benchmark
    public int baselineWrite(Io io, Baseline baseline) throws IOException {
        return baseline.channel.write(io.block.clear().limit(Workspace.BLOCK), io.nextOffset());
    }

    @Benchmark
    public int volumeWrite(Io io, Volume volume) throws IOException {
        return volume.file.writeDirect(io.block.clear().limit(Workspace.BLOCK), io.nextOffset());
    }

    @Benchmark
    public int baselineRead(Io io, Baseline baseline) throws IOException {
        return baseline.channel.read(io.block.clear().limit(Workspace.BLOCK), io.nextOffset());
    }

    @Benchmark
    public int volumeRead(Io io, ReadVolume volume) throws IOException {
        return volume.file.read(io.block.clear().limit(Workspace.BLOCK), io.nextOffset());
    }

    /** Whether files in {@code dir} can be opened with O_DIRECT (not on tmpfs before Linux 6.6). */
    static boolean directSupported(Path dir) throws IOException {
        Path probe = dir.resolve("o_direct.probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            System.out.println("O_DIRECT not available in " + dir + " (" + e.getMessage()
                    + "): both sides use the page cache");
            return false;
        } finally {
            java.nio.file.Files.deleteIfExists(probe);
        }
    }
}
