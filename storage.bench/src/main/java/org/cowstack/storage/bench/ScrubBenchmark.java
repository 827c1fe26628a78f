package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Scrub (issue 18) of a crc32c volume on a {@code file:} device holding one file of
 * {@code mebibytes} (data {@code single}, metadata {@code dup}: the defaults), written and
 * synced once per trial.
 * <ul>
 * <li>throughput, cold: before each run the host page cache of the image is dropped (as
 * {@link SequentialBenchmark}'s cold rows do) and the volume mounted afresh, so its
 * caches are empty; {@link #scrub} is one whole read-only scrub ({@link Scrubber}),
 * {@link #baselineRead} a raw sequential {@code FileChannel} read, 1 MiB at a time, of
 * the span of the same image that holds the file's data (its first to its last
 * physical byte). Both count the bytes they read ({@code bytes}): the row compares bytes
 * per second, since the scrub reads the metadata too and the span may hold a gap.</li>
 * <li>latency: a reader thread does 4 KiB reads of the file at random block offsets,
 * one a millisecond (a guest's stream, not a spin that would take a core of two),
 * timing each; {@link #readerAlone} for {@code readerMillis}, {@link #scrubWithReader}
 * while a whole scrub runs. Each reports the reads' 99th percentile ({@code p99Micros}).
 * Here the device is opened with O_DIRECT (where the host has it): through the host
 * page cache, the scrub would make the reader's reads of blocks it has passed cache
 * hits and flatter the row. The volume is mounted afresh each time, its cache
 * empty.</li>
 * </ul>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class ScrubBenchmark {
    static final String IMAGE = "scrub.img";
    static final String FILE = "/data";

    @State(Scope.Benchmark)
    public static class Data {
        @Param("1024")
        public int mebibytes;

        /** How long {@link #readerAlone} reads. */
        @Param("3000")
        public int readerMillis;

        /** The bytes of the image holding the file's data: {@code [spanStart, spanEnd)}. */
        long spanStart;
        long spanEnd;
        boolean direct;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        @Setup(Level.Trial)
        public void write() throws IOException {
            direct = RandomDirectBenchmark.directSupported(Workspace.dir());
            CowVolume v = Workspace.create(IMAGE, bytes() * 2, "crc32c", false, MountOptions.defaults());
            Workspace.writeVolumeFile(v, FILE, Workspace.pattern(Workspace.MIB, true, 5), bytes());
            v.sync();
            spanStart = Long.MAX_VALUE;
            spanEnd = 0;
            int extents = 0;
            try (FileHandle f = v.open(FILE, Workspace.READ)) {
                for (ExtentMapping m : f.extents(0, bytes())) {
                    if (m.flags().contains(ExtentMapping.Flag.HOLE) || m.flags().contains(ExtentMapping.Flag.UNWRITTEN)) {
                        continue;
                    }
                    spanStart = Math.min(spanStart, m.physical());
                    spanEnd = Math.max(spanEnd, m.physical() + m.length());
                    extents++;
                }
            }
            v.unmount();
            System.out.printf("%n%s: %d MiB in %d extents, image bytes %d..%d (%.1f MiB span)%n", FILE, mebibytes,
                    extents, spanStart, spanEnd, (spanEnd - spanStart) / (double) Workspace.MIB);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Workspace.delete(IMAGE);
        }
    }

    /** The image out of the host page cache before each raw read. */
    @State(Scope.Thread)
    public static class ColdImage {
        Path image;

        @Setup(Level.Iteration)
        public void evict(Data data) throws IOException { // Data first: it writes the image
            image = Workspace.file(IMAGE);
            Workspace.dropCache(image);
        }
    }

    /** The image out of the host page cache and the volume mounted afresh before each scrub. */
    @State(Scope.Thread)
    public static class ColdVolume {
        CowVolume volume;

        @Setup(Level.Iteration)
        public void mount(Data data) throws IOException { // Data first: it writes the image
            Workspace.dropCache(Workspace.file(IMAGE));
            volume = Workspace.mount(IMAGE, false, MountOptions.defaults());
        }

        @TearDown(Level.Iteration)
        public void unmount() throws IOException {
            volume.unmount();
        }
    }

    /** The volume mounted afresh on an O_DIRECT device, and the file open, before each latency run. */
    @State(Scope.Thread)
    public static class DirectVolume {
        CowVolume volume;
        FileHandle file;

        @Setup(Level.Iteration)
        public void mount(Data data) throws IOException {
            Workspace.dropCache(Workspace.file(IMAGE));
            volume = Workspace.mount(IMAGE, data.direct, MountOptions.defaults());
            file = volume.open(FILE, Workspace.READ);
        }

        @TearDown(Level.Iteration)
        public void unmount() throws IOException {
            file.close();
            volume.unmount();
        }
    }

    /** Per run: the bytes read (verified, for the scrub). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Bytes {
        public double bytes;
    }

    /** Per run: the random reader's 99th percentile and its number of reads; the scrub's bytes, if one ran. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Latency {
        public double p99Micros;
        public double maxMicros;
        public double reads;
        public double bytes;
    }

    @Benchmark
    public long baselineRead(Data data, ColdImage cold, Bytes counted) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(Workspace.MIB);
        long sum = 0;
        try (FileChannel ch = FileChannel.open(cold.image, StandardOpenOption.READ)) {
            for (long at = data.spanStart; at < data.spanEnd; at += b.capacity()) {
                b.clear().limit((int) Math.min(b.capacity(), data.spanEnd - at));
                while (b.hasRemaining()) {
                    if (ch.read(b, at + b.position()) < 0) {
                        throw new IOException("end of " + cold.image + " at " + (at + b.position()));
                    }
                }
                sum += b.get(7);
            }
        }
        counted.bytes = data.spanEnd - data.spanStart;
        return sum;
    }

    @Benchmark
    public long scrub(ColdVolume cold, Bytes counted) throws IOException {
        Scrubber.Result r = Scrubber.scrub(cold.volume, false);
        System.out.println(r);
        counted.bytes = r.bytes();
        return r.blocks();
    }

    @Benchmark
    public long readerAlone(Data data, DirectVolume v, Latency latency) throws IOException, InterruptedException {
        Reader reader = new Reader(v.file, data.bytes());
        reader.start();
        Thread.sleep(data.readerMillis);
        reader.finish(latency);
        latency.bytes = 0;
        System.out.println("random reads: " + latency.reads + ", p99 " + latency.p99Micros + " us");
        return reader.count;
    }

    @Benchmark
    public long scrubWithReader(Data data, DirectVolume v, Latency latency) throws IOException, InterruptedException {
        Reader reader = new Reader(v.file, data.bytes());
        reader.start();
        Scrubber.Result r;
        try {
            r = Scrubber.scrub(v.volume, false);
        } finally {
            reader.finish(latency);
        }
        latency.bytes = r.bytes();
        System.out.println(r + ", random reads: " + latency.reads + ", p99 " + latency.p99Micros + " us");
        return r.blocks();
    }

    /** 4 KiB reads at random block offsets of a file, one a millisecond, each timed. */
    static final class Reader extends Thread {
        static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

        final FileHandle file;
        final long blocks;
        final SplittableRandom random = new SplittableRandom(11);
        long[] nanos = new long[4096];
        int count;
        volatile boolean stop;
        volatile Throwable failure;

        Reader(FileHandle file, long bytes) {
            super("bench-random-reader");
            this.file = file;
            this.blocks = bytes / Workspace.BLOCK;
            setDaemon(true);
        }

        @Override
        public void run() {
            ByteBuffer b = ByteBuffer.allocate(Workspace.BLOCK);
            try {
                while (!stop) {
                    long at = random.nextLong(blocks) * Workspace.BLOCK;
                    long t0 = System.nanoTime();
                    b.clear();
                    while (b.hasRemaining()) {
                        if (file.read(b, at + b.position()) < 0) {
                            throw new IOException("end of file at " + (at + b.position()));
                        }
                    }
                    long t = System.nanoTime() - t0;
                    if (count == nanos.length) {
                        nanos = Arrays.copyOf(nanos, count * 2);
                    }
                    nanos[count++] = t;
                    LockSupport.parkNanos(PAUSE_NANOS);
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Stops the reader and puts its figures in {@code latency}. */
        void finish(Latency latency) throws IOException, InterruptedException {
            stop = true;
            join();
            if (failure != null) {
                throw new IOException("the random reader failed", failure);
            }
            if (count == 0) {
                throw new IOException("the random reader read nothing");
            }
            long[] sorted = Arrays.copyOf(nanos, count);
            Arrays.sort(sorted);
            latency.p99Micros = sorted[(int) Math.ceil(0.99 * count) - 1] / 1e3;
            latency.maxMicros = sorted[count - 1] / 1e3;
            latency.reads = count;
        }
    }
}
