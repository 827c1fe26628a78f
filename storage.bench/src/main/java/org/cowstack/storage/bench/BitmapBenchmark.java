package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.bitmap.BitmapMode;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a recording dirty bitmap costs a guest's writes: random 4 KiB buffered writes to
 * a written file, an fsync after every 16 (a VM flushing), on a file without a bitmap
 * (the baseline, same volume format, same offsets) and on one with a 64 KiB-granule
 * bitmap in each mode: transactional (its bits committed with every fsync's commit)
 * and qemu (bits in memory, stored at unmount).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class BitmapBenchmark {
    static final String IMAGE = "bitmap.img";
    static final int WRITES_PER_FSYNC = 16;

    @State(Scope.Thread)
    public static class Guest {
        @Param("1024")
        public int mebibytes;

        @Param({"none", "transactional", "qemu"})
        public String bitmap;

        final ByteBuffer block = Workspace.pattern(Workspace.BLOCK, false, 4);
        final SplittableRandom offsets = new SplittableRandom(11);
        CowVolume volume;
        FileHandle file;

        @Setup(Level.Trial)
        public void open() throws IOException {
            long bytes = (long) mebibytes * Workspace.MIB;
            volume = Workspace.create(IMAGE, bytes * 2, "crc32c", false, MountOptions.defaults());
            Workspace.writeVolumeFile(volume, "/vm.img", Workspace.pattern(Workspace.MIB, true, 3), bytes);
            file = volume.open("/vm.img", Workspace.CREATE_READ_WRITE);
            if (!bitmap.equals("none")) {
                file.bitmaps().add("b", BitmapOptions.defaults().mode(bitmap.equals("qemu") ? BitmapMode.QEMU
                        : BitmapMode.TRANSACTIONAL));
            }
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            file.close();
            volume.unmount();
            Workspace.delete(IMAGE);
        }
    }

    /** 16 random 4 KiB writes and an fsync. */
    @Benchmark
    @OperationsPerInvocation(WRITES_PER_FSYNC)
    public long writes(Guest g) throws IOException {
        long n = 0;
        int blocks = g.mebibytes * (Workspace.MIB / Workspace.BLOCK);
        for (int i = 0; i < WRITES_PER_FSYNC; i++) {
            n += g.file.write(g.block.clear(), (long) g.offsets.nextInt(blocks) * Workspace.BLOCK);
        }
        g.file.fsync();
        return n;
    }
}
