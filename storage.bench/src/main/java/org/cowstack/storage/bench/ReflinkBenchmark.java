package org.cowstack.storage.bench;

import java.io.IOException;
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
 * FICLONERANGE of a whole {@code mebibytes} file made of {@code extents} extents into an
 * empty file: the time of one clone, metadata only (the commit comes after, unmeasured).
 * One extent is the file written sequentially; more extents are pieces of 2 to 3 blocks
 * cloned from two alternating places of a small file, so no two neighbours are
 * physically contiguous and none merge.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(1)
public class ReflinkBenchmark {
    static final String IMAGE = "reflink.img";

    @State(Scope.Thread)
    public static class Source {
        @Param("1024")
        public int mebibytes;

        @Param({"1", "10000", "100000"})
        public int extents;

        CowVolume volume;
        FileHandle source;
        FileHandle clone;
        int clones;

        @Setup(Level.Trial)
        public void build() throws IOException {
            long bytes = (long) mebibytes * Workspace.MIB;
            volume = Workspace.create(IMAGE, bytes * 2, "crc32c", false, MountOptions.defaults());
            source = Fragmented.file(volume, "/source", bytes, extents);
        }

        @Setup(Level.Invocation)
        public void target() throws IOException {
            clone = volume.open("/clone" + clones++, Workspace.CREATE_WRITE);
        }

        @TearDown(Level.Invocation)
        public void dropClone() throws IOException {
            String path = clone.path();
            clone.close();
            volume.delete(path);
            volume.sync();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            source.close();
            volume.unmount();
            Workspace.delete(IMAGE);
        }
    }

    @Benchmark
    public long reflink(Source s) throws IOException {
        return s.clone.cloneRange(s.source, 0, 0, 0);
    }
}
