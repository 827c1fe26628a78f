package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.volume.DedupeResult;
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
 * FIDEDUPERANGE of two identical files of {@code mebibytes}, in calls of 16 MiB (the
 * engine's limit per call, as the kernel's), as duperemove would issue them. The engine
 * reads and compares both sides, so the baseline is a sequential {@code FileChannel}
 * read of two files of the same size; both sides read from a warm host cache. The
 * second file is written again before each measurement, so every dedupe really shares.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class DedupeBenchmark {
    static final String IMAGE = "dedupe.img";
    static final long CALL = 16L << 20;

    @State(Scope.Thread)
    public static class Twins {
        @Param("1024")
        public int mebibytes;

        final ByteBuffer chunk = Workspace.pattern(Workspace.MIB, true, 6);
        CowVolume volume;
        FileHandle a;
        FileHandle b;
        Path baselineA;
        Path baselineB;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        @Setup(Level.Trial)
        public void write() throws IOException {
            baselineA = Workspace.file("dedupe-a.dat");
            baselineB = Workspace.file("dedupe-b.dat");
            Workspace.writeBaseline(baselineA, chunk, bytes());
            Workspace.writeBaseline(baselineB, chunk, bytes());
            volume = Workspace.create(IMAGE, bytes() * 3, "crc32c", false, MountOptions.defaults());
            Workspace.writeVolumeFile(volume, "/a", chunk, bytes());
            a = volume.open("/a", Workspace.READ);
        }

        @Setup(Level.Iteration)
        public void writeSecond() throws IOException {
            if (b != null) {
                b.close();
                volume.delete("/b");
            }
            Workspace.writeVolumeFile(volume, "/b", chunk, bytes());
            b = volume.open("/b", Workspace.CREATE_READ_WRITE);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            a.close();
            b.close();
            volume.unmount();
            Workspace.delete(IMAGE);
            Files.deleteIfExists(baselineA);
            Files.deleteIfExists(baselineB);
        }
    }

    @Benchmark
    public long baselineRead(Twins f) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(Workspace.MIB);
        return Workspace.readBaseline(f.baselineA, buffer, f.bytes()) + Workspace.readBaseline(f.baselineB, buffer,
                f.bytes());
    }

    @Benchmark
    public long dedupe(Twins f) throws IOException {
        long shared = 0;
        for (long at = 0; at < f.bytes(); at += CALL) {
            DedupeResult r = f.b.dedupeRange(f.a, at, at, Math.min(CALL, f.bytes() - at));
            if (r.differs()) {
                throw new IOException("identical files differ at " + at);
            }
            shared += r.bytesDeduped();
        }
        if (shared != f.bytes()) {
            throw new IOException("deduplicated " + shared + " of " + f.bytes() + " bytes");
        }
        return shared;
    }
}
