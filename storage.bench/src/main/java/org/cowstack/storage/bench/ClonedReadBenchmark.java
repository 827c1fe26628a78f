package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.volume.CacheUsage;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The single-copy cache (issue 19): {@code clones} reflinked copies of a file of
 * {@code mebibytes} on a volume mounted afresh (nothing cached), each read in full in
 * 1 MiB calls. Reports, per run, the bytes the volume's cache holds afterwards per byte
 * of distinct data ({@code cachePerDistinct}: 1 when the clones take the cache once,
 * {@code clones} when each takes it again) and the hit rate of the reads. The cache is
 * large enough for every copy, so only single-copy caching keeps the figure near 1.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
public class ClonedReadBenchmark {
    static final String IMAGE = "clones.img";

    @State(Scope.Benchmark)
    public static class Data {
        @Param("64")
        public int mebibytes;

        @Param("8")
        public int clones;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        @Setup(Level.Trial)
        public void write() throws IOException {
            CowVolume v = Workspace.create(IMAGE, bytes() * 4 + 64L * Workspace.MIB, "crc32c", false,
                    MountOptions.defaults());
            Workspace.writeVolumeFile(v, "/c0", Workspace.pattern(Workspace.MIB, true, 19), bytes());
            try (FileHandle source = v.open("/c0", Workspace.READ)) {
                for (int i = 1; i < clones; i++) {
                    try (FileHandle clone = v.open("/c" + i, Workspace.CREATE_READ_WRITE)) {
                        clone.cloneRange(source, 0, 0, 0);
                    }
                }
            }
            v.unmount();
        }

        @TearDown(Level.Trial)
        public void delete() throws IOException {
            Workspace.delete(IMAGE);
        }
    }

    /** The volume mounted afresh for each run, with a cache that would hold every clone. */
    @State(Scope.Thread)
    public static class Mounted {
        CowVolume volume;

        @Setup(Level.Iteration)
        public void mount(Data d) throws IOException {
            volume = Workspace.mount(IMAGE, false, MountOptions.defaults(), d.bytes() * d.clones * 2);
        }

        @TearDown(Level.Iteration)
        public void unmount() throws IOException {
            volume.unmount();
        }
    }

    /** Per run: cache bytes per byte of distinct data, and the hit rate (0 to 1). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Figures {
        public double cachePerDistinct;
        public double hitRate;
    }

    @Benchmark
    public long readClones(Data d, Mounted m, Figures f) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Workspace.MIB);
        long sum = 0;
        for (int i = 0; i < d.clones; i++) {
            sum += Workspace.readVolumeFile(m.volume, "/c" + i, b, d.bytes());
        }
        CacheUsage c = m.volume.cache();
        f.cachePerDistinct = (double) c.cached() / d.bytes();
        f.hitRate = c.hitRate();
        System.out.printf("%n%d clones of %d MiB read: %s%n", d.clones, d.mebibytes, c);
        return sum;
    }
}
