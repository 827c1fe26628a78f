package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileMapping;
import org.cowstack.storage.api.volume.MapMode;
import org.cowstack.storage.api.volume.MappedView;
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
 * DAX read throughput through file mappings (issue 19): one file of {@code mebibytes} on a
 * crc32c volume on a {@code dax:} device (its image in the bench directory, mapped into
 * memory), written sequentially and synced, the volume then mounted afresh so its caches
 * are empty. Every method reads the whole file and consumes every byte the same way
 * ({@link #consume}): bulk {@code get} into a reusable 1 MiB heap array, as a user copying
 * the bytes out to work on them does; the copy is the fastest consumer there is, so what a
 * view costs beyond the memory shows most.
 * <ul>
 * <li>{@link #views}: one mapping ({@link MapMode#READ}) kept for the trial; per view
 * from offset 0 to the end, {@code view(at)}, {@code buffer()}, consume, {@code validate()}
 * (the optimistic-read rule). After the first pass the mapping hands out the views it
 * keeps: the steady state of a reader of a mapped file.</li>
 * <li>{@link #viewsFirstTouch}: the same loop on a mapping made for the pass and closed
 * after it, so every view is made and its blocks verified against their checksums (up to
 * 8 MiB a view on {@code dax:}). The device's memory stays mapped (the device is open for
 * the trial), so neither side pays page faults after the warm-up.</li>
 * <li>{@link #fileRead}: the ordinary read path, {@code FileHandle.read} into the same 1 MiB
 * heap array (wrapped), for comparison: its first pass reads the device and verifies,
 * later ones copy from the volume's cache.</li>
 * <li>{@link #rawCopy}: the same bytes straight from a {@code MappedByteBuffer} of the
 * image file ({@code FileChannel.map} READ_ONLY), at the device offsets the views showed
 * (the same runs, so the same pieces), consumed by the same code: the raw copy from the
 * same memory.</li>
 * </ul>
 * JMH runs the methods in name order, one after the other: {@code rawCopy} and
 * {@code views} are named to run back to back, so the ratio the row is judged on compares
 * seconds-apart measurements on a machine whose load changes by the minute.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DaxReadBenchmark {
    static final String IMAGE = "dax.img";
    static final String FILE = "/data";

    @State(Scope.Benchmark)
    public static class Data {
        @Param("256")
        public int mebibytes;

        CowVolume volume;
        FileHandle file;
        /** The mapping {@link #views} reuses. */
        FileMapping warm;
        /** The runs the views showed: device offset and length, in file order. */
        long[] deviceOffsets;
        int[] lengths;
        FileChannel image;
        /** The image bytes holding the file, from {@link #rawBase}. */
        MappedByteBuffer raw;
        long rawBase;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            CowVolume v = Workspace.createDax(IMAGE, bytes() * 2 + 64L * Workspace.MIB, "crc32c",
                    MountOptions.defaults());
            Workspace.writeVolumeFile(v, FILE, Workspace.pattern(Workspace.MIB, true, 19), bytes());
            v.sync();
            v.unmount();
            volume = Workspace.mountDax(IMAGE, MountOptions.defaults());
            file = volume.open(FILE, Workspace.READ);
            warm = file.map(0, bytes(), MapMode.READ);
            if (!warm.direct()) {
                throw new IllegalStateException("the mapping of " + FILE + " on dax: is not the device's memory");
            }
            int n = 0;
            deviceOffsets = new long[16];
            lengths = new int[16];
            long lo = Long.MAX_VALUE;
            long hi = 0;
            for (long at = 0; at < bytes(); n++) {
                MappedView view = warm.view(at);
                if (view.deviceOffset() < 0) {
                    throw new IllegalStateException("the view at " + at + " is not device memory");
                }
                if (n == deviceOffsets.length) {
                    deviceOffsets = java.util.Arrays.copyOf(deviceOffsets, n * 2);
                    lengths = java.util.Arrays.copyOf(lengths, n * 2);
                }
                deviceOffsets[n] = view.deviceOffset();
                lengths[n] = view.length();
                lo = Math.min(lo, view.deviceOffset());
                hi = Math.max(hi, view.deviceOffset() + view.length());
                at += view.length();
            }
            deviceOffsets = java.util.Arrays.copyOf(deviceOffsets, n);
            lengths = java.util.Arrays.copyOf(lengths, n);
            image = FileChannel.open(Workspace.file(IMAGE), StandardOpenOption.READ);
            rawBase = lo;
            raw = image.map(FileChannel.MapMode.READ_ONLY, lo, hi - lo);
            // The baseline reads what the views show, byte for byte.
            long at = 0;
            for (int i = 0; i < n; i++) {
                MappedView view = warm.view(at);
                if (view.buffer().mismatch(rawRun(i)) != -1) {
                    throw new IllegalStateException("the image at " + deviceOffsets[i] + " is not the view at " + at);
                }
                view.validate();
                at += lengths[i];
            }
            System.out.printf("%n%s: %d MiB in %d views, image bytes %d..%d (%.1f MiB span)%n", FILE, mebibytes, n,
                    lo, hi, (hi - lo) / (double) Workspace.MIB);
        }

        /** Run {@code i} of the raw image mapping, as a buffer of its own (as a view's buffer() is). */
        ByteBuffer rawRun(int i) {
            return raw.slice((int) (deviceOffsets[i] - rawBase), lengths[i]);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            try {
                warm.close();
                file.close();
                volume.unmount();
                image.close();
            } finally {
                raw = null;
                Workspace.delete(IMAGE);
            }
        }
    }

    /** The reusable 1 MiB heap array the bytes are copied into. */
    @State(Scope.Thread)
    public static class Chunk {
        final byte[] array = new byte[Workspace.MIB];
        final ByteBuffer wrapped = ByteBuffer.wrap(array);
    }

    /** Every byte of {@code b} copied into {@code chunk}, 1 MiB at a time; a byte of each piece answered. */
    static long consume(ByteBuffer b, byte[] chunk) {
        long sum = 0;
        while (b.hasRemaining()) {
            int n = Math.min(chunk.length, b.remaining());
            b.get(chunk, 0, n);
            sum += chunk[n - 1];
        }
        return sum;
    }

    static long readViews(FileMapping m, long bytes, byte[] chunk) throws IOException {
        long sum = 0;
        for (long at = 0; at < bytes;) {
            MappedView view = m.view(at);
            sum += consume(view.buffer(), chunk);
            view.validate();
            at += view.length();
        }
        return sum;
    }

    @Benchmark
    public long views(Data data, Chunk chunk) throws IOException {
        return readViews(data.warm, data.bytes(), chunk.array);
    }

    @Benchmark
    public long viewsFirstTouch(Data data, Chunk chunk) throws IOException {
        try (FileMapping m = data.file.map(0, data.bytes(), MapMode.READ)) {
            return readViews(m, data.bytes(), chunk.array);
        }
    }

    @Benchmark
    public long fileRead(Data data, Chunk chunk) throws IOException {
        return Workspace.readAll(data.file::read, chunk.wrapped, data.bytes());
    }

    @Benchmark
    public long rawCopy(Data data, Chunk chunk) {
        long sum = 0;
        for (int i = 0; i < data.lengths.length; i++) {
            sum += consume(data.rawRun(i), chunk.array);
        }
        return sum;
    }
}
