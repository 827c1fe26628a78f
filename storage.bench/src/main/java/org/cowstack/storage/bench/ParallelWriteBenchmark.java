package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * Four writers at once, each writing its own file of {@code mebibytes} in 1 MiB calls and
 * fsyncing it, on one crc32c volume on a {@code file:} device, against four
 * {@code FileChannel} writers writing four files in the same directory and forcing them.
 * The time is until the last writer's fsync (force) returns. Each side starts from
 * nothing: a fresh volume, or the four baseline files deleted, before each measurement
 * and outside it.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class ParallelWriteBenchmark {
    static final int WRITERS = 4;
    static final String IMAGE = "parallel.img";

    @State(Scope.Benchmark)
    public static class Writers {
        /** Per writer. */
        @Param("256")
        public int mebibytes;

        final ByteBuffer chunk = Workspace.pattern(Workspace.MIB, true, 9);
        ExecutorService pool;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        Path baseline(int writer) throws IOException {
            return Workspace.file("parallel-" + writer + ".dat");
        }

        @Setup(Level.Trial)
        public void start() {
            pool = Executors.newFixedThreadPool(WRITERS);
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            pool.shutdownNow();
            for (int i = 0; i < WRITERS; i++) {
                Files.deleteIfExists(baseline(i));
            }
            Workspace.delete(IMAGE);
        }

        /** Runs {@code task} for every writer at once; returns when all are done. */
        void all(WriterTask task) throws IOException {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                int writer = i;
                running.add(pool.submit(() -> {
                    task.run(writer);
                    return null;
                }));
            }
            try {
                for (Future<?> f : running) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the writers", e);
            } catch (ExecutionException e) {
                throw new IOException("a writer failed", e.getCause());
            }
        }
    }

    @FunctionalInterface
    interface WriterTask {
        void run(int writer) throws IOException;
    }

    @State(Scope.Thread)
    public static class FreshVolume {
        CowVolume volume;

        @Setup(Level.Iteration)
        public void setUp(Writers w) throws IOException {
            volume = Workspace.create(IMAGE, w.bytes() * WRITERS * 2, "crc32c", false, MountOptions.defaults());
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            volume.unmount();
        }
    }

    @State(Scope.Thread)
    public static class FreshFiles {
        @Setup(Level.Iteration)
        public void setUp(Writers w) throws IOException {
            for (int i = 0; i < WRITERS; i++) {
                Files.deleteIfExists(w.baseline(i));
            }
        }
    }

    @Benchmark
    public void baselineWrite(Writers w, FreshFiles fresh) throws IOException {
        w.all(i -> {
            try (FileChannel ch = FileChannel.open(w.baseline(i), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                Workspace.writeAll(ch::write, w.chunk, 0, w.bytes());
                ch.force(true);
            }
        });
    }

    @Benchmark
    public void volumeWrite(Writers w, FreshVolume fresh) throws IOException {
        w.all(i -> Workspace.writeVolumeFile(fresh.volume, "/w" + i, w.chunk, w.bytes()));
    }
}
