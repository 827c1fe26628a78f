package org.cowstack.storage.bench;

import java.io.IOException;
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
 * Mounting a {@code mebibytes} volume holding a file of {@code extents} one-block extents
 * (shared clones, so they fit), from a cold host cache: open the device, read the
 * superblocks and the trees mount needs, until the volume serves calls: listing the
 * root directory is part of it, so a mount that defers its work is not measured as free.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class MountBenchmark {
    static final String IMAGE = "mount.img";

    @State(Scope.Thread)
    public static class Image {
        @Param("1024")
        public int mebibytes;

        @Param("1000000")
        public int extents;

        CowVolume mounted;

        @Setup(Level.Trial)
        public void build() throws IOException {
            CowVolume v = Workspace.create(IMAGE, (long) mebibytes * Workspace.MIB, "crc32c", false,
                    MountOptions.defaults());
            Fragmented.file(v, "/fragmented", (long) extents * Workspace.BLOCK, extents).close();
            v.unmount();
        }

        @Setup(Level.Invocation)
        public void evict() throws IOException {
            Workspace.dropCache(Workspace.file(IMAGE));
        }

        @TearDown(Level.Invocation)
        public void unmount() throws IOException {
            mounted.unmount();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Workspace.delete(IMAGE);
        }
    }

    @Benchmark
    public long mount(Image image) throws IOException {
        image.mounted = Workspace.mount(IMAGE, false, MountOptions.defaults());
        return image.mounted.list("/").size();
    }
}
