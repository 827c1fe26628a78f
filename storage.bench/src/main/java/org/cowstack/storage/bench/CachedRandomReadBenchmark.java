package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Random 4 KiB reads of a file of {@code mebibytes} served from the volume's own cache,
 * against {@code FileChannel} 4 KiB positional reads of a file of the same size in the
 * same directory, served from the host page cache. Before measuring, both files are
 * read in full twice ({@link #warm}): in 1 MiB calls, as an application reads a file,
 * and in 4 KiB calls, because the engine today keeps only small reads in its cache
 * (a stream bypasses it). The volume is mounted afresh for that with a cache of the
 * file's size plus {@link CowVolume#DEFAULT_CACHE_BYTES} ({@link #cacheBytes}), so it
 * holds the whole file. The offsets come from a fixed seed, the same sequence on both
 * sides. Each side reads into the buffer kind it is fastest with: {@code FileChannel}
 * into a direct buffer, the volume (whose pages are heap arrays) into a heap one.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class CachedRandomReadBenchmark {
    static final String IMAGE = "cached.img";
    static final String BASELINE = "cached.dat";

    /** The volume cache used: the whole file and the default cache's room for the rest. */
    static long cacheBytes(long fileBytes) {
        return fileBytes + CowVolume.DEFAULT_CACHE_BYTES;
    }

    /** Reads the whole file in 1 MiB calls, then in 4 KiB calls. */
    static void warm(Workspace.PositionalIo read, ByteBuffer mib, ByteBuffer block, long bytes) throws IOException {
        Workspace.readAll(read, mib, bytes);
        Workspace.readAll(read, block, bytes);
    }

    @State(Scope.Thread)
    public static class Offsets {
        @Param("1024")
        public int mebibytes;

        final SplittableRandom offsets = new SplittableRandom(7);
        final ByteBuffer chunk = Workspace.pattern(Workspace.MIB, true, 10);

        long next() {
            return (long) offsets.nextInt(mebibytes * (Workspace.MIB / Workspace.BLOCK)) * Workspace.BLOCK;
        }

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }
    }

    @State(Scope.Thread)
    public static class Baseline {
        FileChannel channel;
        final ByteBuffer block = ByteBuffer.allocateDirect(Workspace.BLOCK);

        @Setup(Level.Trial)
        public void open(Offsets o) throws IOException {
            Path f = Workspace.file(BASELINE);
            Workspace.writeBaseline(f, o.chunk, o.bytes());
            channel = FileChannel.open(f, StandardOpenOption.READ);
            warm(channel::read, ByteBuffer.allocateDirect(Workspace.MIB), block, o.bytes());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            Workspace.delete(BASELINE);
        }
    }

    @State(Scope.Thread)
    public static class Volume {
        CowVolume volume;
        FileHandle file;
        final ByteBuffer block = ByteBuffer.allocate(Workspace.BLOCK);

        @Setup(Level.Trial)
        public void open(Offsets o) throws IOException {
            CowVolume v = Workspace.create(IMAGE, o.bytes() * 2, "crc32c", false, MountOptions.defaults());
            Workspace.writeVolumeFile(v, "/data", o.chunk, o.bytes());
            v.unmount();
            volume = Workspace.mount(IMAGE, false, MountOptions.defaults(), cacheBytes(o.bytes()));
            file = volume.open("/data", Workspace.READ);
            warm(file::read, ByteBuffer.allocate(Workspace.MIB), block, o.bytes());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            file.close();
            volume.unmount();
            Workspace.delete(IMAGE);
        }
    }

    @Benchmark
    public int baselineRead(Offsets o, Baseline b) throws IOException {
        return b.channel.read(b.block.clear(), o.next());
    }

    @Benchmark
    public int volumeRead(Offsets o, Volume v) throws IOException {
        return v.file.read(v.block.clear(), o.next());
    }
}
