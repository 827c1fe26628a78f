package org.cowstack.storage.bench;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import net.openhft.hashing.LongHashFunction;

import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.csum.Blake2b256;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.csum.Sha256;
import org.cowstack.storage.csum.XxHash64;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Checksum throughput per algorithm on one block, heap and direct, with the bare JDK
 * CRC32C on the same buffer as the baseline of the run. {@code zahXxhash64} is the
 * zero-allocation-hashing library that storage.csum does not use; it needs
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} for direct buffers, given to
 * its fork here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED")
public class ChecksumBenchmark {
    @Param({"4096", "65536"})
    int blockSize;

    @Param({"direct", "heap"})
    String memory;

    private ByteBuffer block;
    private final byte[] out = new byte[ChecksumAlgorithm.MAX_DIGEST_LENGTH];
    private final ChecksumAlgorithm crc32c = new Crc32c();
    private final ChecksumAlgorithm xxhash64 = new XxHash64();
    private final ChecksumAlgorithm sha256 = new Sha256();
    private final ChecksumAlgorithm blake2b = new Blake2b256();
    private final LongHashFunction zah = LongHashFunction.xx();

    @Setup
    public void setUp() {
        byte[] data = new byte[blockSize];
        new Random(42).nextBytes(data);
        block = "direct".equals(memory) ? ByteBuffer.allocateDirect(blockSize) : ByteBuffer.allocate(blockSize);
        block.put(data).flip();
    }

    @Benchmark
    public long baselineJdkCrc32c() {
        CRC32C crc = new CRC32C();
        crc.update(block.duplicate());
        return crc.getValue();
    }

    @Benchmark
    public byte[] crc32c() {
        crc32c.digest(block, out, 0);
        return out;
    }

    @Benchmark
    public byte[] xxhash64() {
        xxhash64.digest(block, out, 0);
        return out;
    }

    @Benchmark
    public long zahXxhash64() {
        return zah.hashBytes(block);
    }

    @Benchmark
    public byte[] sha256() {
        sha256.digest(block, out, 0);
        return out;
    }

    @Benchmark
    public byte[] blake2b() {
        blake2b.digest(block, out, 0);
        return out;
    }
}
