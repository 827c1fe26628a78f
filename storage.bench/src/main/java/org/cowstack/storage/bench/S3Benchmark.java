package org.cowstack.storage.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.s3.S3StoreInfo;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.s3.client.Credentials;
import org.cowstack.storage.s3.client.S3Client;
import org.cowstack.storage.s3.device.S3DeviceProvider;
import org.cowstack.storage.s3.device.S3Store;
import org.cowstack.storage.testkit.S3ProxyServer;
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
 * Sequential I/O of {@code mebibytes} in 1 MiB calls through a crc32c volume on an
 * {@code s3:} device, against the same through a crc32c volume on a {@code file:} device
 * (a sparse image in the bench directory, as {@link SequentialBenchmark}). The S3 server
 * is s3proxy with its filesystem backend ({@link S3ProxyServer}), a process on this
 * machine storing its objects in the bench directory: loopback HTTP, no network, so a
 * ratio says what the protocol (HTTP, SigV4, s3proxy's own work), the object layout and
 * the device's cache cost, not what a real network would.
 * <ul>
 * <li>{@link #s3Write} / {@link #fileWrite}: from a freshly formatted volume, fsync at the
 * end: the volume commits, so every dirty object is uploaded and the manifest put before
 * the fsync returns. Objects of {@value #WRITE_OBJECT_MIB} MiB, the default, and the
 * default device cache (256 MiB).</li>
 * <li>{@link #s3ReadCold} / {@link #fileReadCold}: the file written once per trial; before
 * each read the volume is mounted afresh (a new device, its object cache empty) and the
 * host page cache of the image, or of every file s3proxy stores, is dropped: every byte
 * comes from the disk, through s3proxy for the {@code s3:} side. Objects of
 * {@code objectMib}.</li>
 * </ul>
 * The {@code s3:} methods count the device's requests during the timed part (from
 * {@link S3DeviceProvider#usage}): PUTs and GETs per GiB of data written (and the PUTs
 * the write calls made before the fsync, and the fsync's share of the time), GETs per
 * GiB read and the cache hit rate of the read, as secondary results.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class S3Benchmark {
    static final String IMAGE = "s3-baseline.img";
    static final String FILE = "/data";
    static final int WRITE_OBJECT_MIB = 4;
    static final double GIB = 1 << 30;

    @State(Scope.Benchmark)
    public static class Data {
        @Param("256")
        public int mebibytes;

        final ByteBuffer chunk = Workspace.pattern(Workspace.MIB, true, 1);

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        CowVolume freshFileVolume() throws IOException {
            return Workspace.create(IMAGE, bytes() * 2, "crc32c", false, MountOptions.defaults());
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            Workspace.delete(IMAGE);
        }
    }

    /**
     * s3proxy on a fresh directory for the trial, a bucket, and a store on it of
     * {@code objectMib} MiB objects ({@value #WRITE_OBJECT_MIB} for the writes).
     */
    @State(Scope.Benchmark)
    public static class Server {
        static final String STORE = "bench";
        static final String BUCKET = "bench";

        S3ProxyServer server;
        S3DeviceProvider provider;
        S3Client client;
        Path dir;
        int volumes;

        void start(int objectMib) throws IOException, InterruptedException {
            dir = Workspace.file("s3proxy");
            Workspace.deleteTree(dir);
            Files.createDirectories(dir);
            try {
                long t0 = System.nanoTime();
                server = S3ProxyServer.start(dir);
                System.out.printf("%ns3proxy %s started in %d ms%n", server.endpoint(), millisSince(t0));
                Credentials credentials = new Credentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
                client = new S3Client(server.endpoint(), S3ProxyServer.REGION, BUCKET, credentials,
                        S3Client.Retry.defaults());
                client.createBucket();
                provider = new S3DeviceProvider();
                provider.addStore(new S3Store(STORE, server.endpoint(), S3ProxyServer.REGION, BUCKET, "vol",
                        objectMib << 20, org.cowstack.storage.api.s3.S3StoreSettings.DEFAULT_CACHE_BYTES,
                        dir.resolve("cache"), 4, S3Store.DEFAULT_RETAIN, credentials));
            } catch (IOException | InterruptedException | RuntimeException e) {
                stop(); // JMH does not tear down a trial whose setup failed
                throw e;
            }
        }

        /** A new volume name on the store: each write starts from an empty device. */
        String nextVolume() {
            return "v" + volumes++;
        }

        static URI uri(String volume) {
            return URI.create("s3:" + STORE + "/" + volume);
        }

        CowVolume create(String volume, long bytes) throws IOException {
            long t0 = System.nanoTime();
            URI uri = uri(volume);
            try (BlockDevice d = provider.open(uri, OpenOptions.create(bytes))) {
                CowVolume.format(d, FormatOptions.defaults().checksum("crc32c"), Workspace.SERVICES, "first-fit");
            }
            CowVolume v = mount(volume);
            System.out.printf("s3:%s/%s formatted and mounted in %d ms%n", STORE, volume, millisSince(t0));
            return v;
        }

        CowVolume mount(String volume) throws IOException {
            URI uri = uri(volume);
            return CowVolume.mount(volume, uri, provider.open(uri, OpenOptions.readWrite()), Workspace.SERVICES,
                    MountOptions.defaults(), CowVolume.DEFAULT_CACHE_BYTES);
        }

        /** The counters of the devices open on the store now. */
        S3StoreInfo usage() {
            return provider.usage(STORE);
        }

        /**
         * Deletes a volume's objects (untimed), so the trial's disk use stays one volume:
         * their files in s3proxy's directory, which its filesystem backend reads afresh
         * on each request. (Through S3, a DELETE of each key its LIST shows took 10 s for
         * each directory placeholder, {@code vol/v0/0000/}, 100 s per volume here.)
         */
        void remove(String volume) throws IOException {
            Workspace.deleteTree(dir.resolve("blobs").resolve(BUCKET).resolve("vol").resolve(volume));
        }

        /** Evicts every file s3proxy stores from the host page cache, as the file side's image is. */
        void dropCache() throws IOException {
            long t0 = System.nanoTime();
            List<Path> blobs;
            try (Stream<Path> s = Files.walk(dir.resolve("blobs"))) {
                blobs = s.filter(Files::isRegularFile).toList();
            }
            Workspace.dropCache(blobs);
            System.out.printf("host cache of %d files of s3proxy dropped in %d ms%n", blobs.size(), millisSince(t0));
        }

        void stop() throws IOException, InterruptedException {
            if (provider != null) {
                provider.deactivate();
                provider = null;
            }
            if (server != null) {
                server.kill();
                server = null;
            }
            Workspace.deleteTree(dir);
        }
    }

    static long millisSince(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** The server for the writes: {@value #WRITE_OBJECT_MIB} MiB objects. */
    @State(Scope.Benchmark)
    public static class WriteServer extends Server {
        @Setup(Level.Trial)
        public void setUp() throws IOException, InterruptedException {
            start(WRITE_OBJECT_MIB);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException, InterruptedException {
            stop();
        }
    }

    /** The server for the reads, with the file written once on a volume of its store. */
    @State(Scope.Benchmark)
    public static class ReadServer extends Server {
        static final String VOLUME = "read";

        @Param({"4", "1"})
        public int objectMib;

        @Setup(Level.Trial)
        public void setUp(Data data) throws IOException, InterruptedException {
            start(objectMib);
            try {
                CowVolume v = create(VOLUME, data.bytes() * 2);
                long t0 = System.nanoTime();
                Workspace.writeVolumeFile(v, FILE, data.chunk, data.bytes());
                v.unmount();
                System.out.printf("%d MiB written to s3:%s/%s and unmounted in %d ms%n", data.mebibytes, STORE, VOLUME,
                        millisSince(t0));
            } catch (IOException | RuntimeException e) {
                stop();
                throw e;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException, InterruptedException {
            stop();
        }
    }

    /**
     * A fresh {@code s3:} volume for each measured write, and the requests it made while
     * timed: {@code requestsPerGiB} (PUTs and GETs), {@code putsPerGiB}, {@code getsPerGiB}.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class S3Write {
        public double requestsPerGiB;
        public double putsPerGiB;
        public double getsPerGiB;
        /**
         * PUTs made during the write calls, before the fsync: commits of the volume's own
         * writeback, or early uploads when the device cache is full of dirty objects.
         */
        public double writePutsPerGiB;
        /** The fsync's part of the time of the writes and the fsync, in percent. */
        public double fsyncPercent;

        CowVolume volume;
        String name;
        S3StoreInfo before;
        S3StoreInfo written;
        double fsyncShare;

        @Setup(Level.Iteration)
        public void setUp(Data data, WriteServer server) throws IOException {
            name = server.nextVolume();
            volume = server.create(name, data.bytes() * 2);
            before = server.usage();
        }

        /** After the write: the counters (the device is still open), then unmount and delete. */
        void count(Data data, Server server) {
            S3StoreInfo after = server.usage();
            double gib = data.bytes() / GIB;
            long puts = after.puts() - before.puts();
            long gets = after.gets() - before.gets();
            putsPerGiB = puts / gib;
            getsPerGiB = gets / gib;
            requestsPerGiB = (puts + gets) / gib;
            writePutsPerGiB = (written.puts() - before.puts()) / gib;
            fsyncPercent = 100 * fsyncShare;
        }

        @TearDown(Level.Iteration)
        public void tearDown(Data data, WriteServer server) throws IOException {
            count(data, server);
            long t0 = System.nanoTime();
            volume.unmount();
            server.remove(name);
            System.out.printf("s3:%s/%s unmounted and deleted in %d ms%n", Server.STORE, name, millisSince(t0));
        }
    }

    /**
     * The {@code s3:} volume mounted afresh (an empty device cache) and s3proxy's files out
     * of the host page cache before each read; what the read did: {@code cacheHitRate}
     * (percent of the device's lookups), {@code getsPerGiB}.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class S3Cold {
        public double cacheHitPercent;
        public double getsPerGiB;

        CowVolume volume;
        S3StoreInfo before;

        @Setup(Level.Invocation)
        public void mount(ReadServer server) throws IOException {
            server.dropCache();
            long t0 = System.nanoTime();
            volume = server.mount(ReadServer.VOLUME);
            System.out.printf("s3:%s/%s mounted in %d ms%n", Server.STORE, ReadServer.VOLUME, millisSince(t0));
            before = server.usage();
        }

        @TearDown(Level.Invocation)
        public void unmount(Data data, ReadServer server) throws IOException {
            S3StoreInfo after = server.usage();
            long hits = after.cacheHits() - before.cacheHits();
            long misses = after.cacheMisses() - before.cacheMisses();
            cacheHitPercent = hits + misses == 0 ? 0 : 100.0 * hits / (hits + misses);
            getsPerGiB = (after.gets() - before.gets()) / (data.bytes() / GIB);
            long t0 = System.nanoTime();
            volume.unmount();
            System.out.printf("s3:%s/%s unmounted in %d ms%n", Server.STORE, ReadServer.VOLUME, millisSince(t0));
        }
    }

    /** A fresh {@code file:} volume for each measured write. */
    @State(Scope.Thread)
    public static class FileWrite {
        CowVolume volume;

        @Setup(Level.Iteration)
        public void setUp(Data data) throws IOException {
            volume = data.freshFileVolume();
        }

        @TearDown(Level.Iteration)
        public void tearDown() throws IOException {
            volume.unmount();
        }
    }

    /** The {@code file:} volume written once; mounted afresh, with the host cache dropped, before each read. */
    @State(Scope.Thread)
    public static class FileCold {
        CowVolume volume;

        @Setup(Level.Trial)
        public void write(Data data) throws IOException {
            CowVolume v = data.freshFileVolume();
            Workspace.writeVolumeFile(v, FILE, data.chunk, data.bytes());
            v.unmount();
        }

        @Setup(Level.Invocation)
        public void mount() throws IOException {
            Workspace.dropCache(Workspace.file(IMAGE));
            volume = Workspace.mount(IMAGE, false, MountOptions.defaults());
        }

        @TearDown(Level.Invocation)
        public void unmount() throws IOException {
            volume.unmount();
        }
    }

    @Benchmark
    public void fileWrite(Data data, FileWrite fresh) throws IOException {
        Workspace.writeVolumeFile(fresh.volume, FILE, data.chunk, data.bytes());
    }

    /**
     * As {@link Workspace#writeVolumeFile}, with the device's counters read between the
     * writes and the fsync (one LIST request to s3proxy, a few ms in the timed part) to
     * tell the uploads made during the writes from the fsync's.
     */
    @Benchmark
    public void s3Write(Data data, WriteServer server, S3Write fresh) throws IOException {
        try (FileHandle f = fresh.volume.open(FILE, Workspace.CREATE_WRITE)) {
            long t0 = System.nanoTime();
            Workspace.writeAll(f::write, data.chunk, 0, data.bytes());
            long t1 = System.nanoTime();
            S3StoreInfo written = server.usage();
            long t2 = System.nanoTime();
            f.fsync();
            long t3 = System.nanoTime();
            fresh.written = written;
            fresh.fsyncShare = (double) (t3 - t2) / (t1 - t0 + t3 - t2);
        }
    }

    @Benchmark
    public long fileReadCold(Data data, FileCold cold) throws IOException {
        return Workspace.readVolumeFile(cold.volume, FILE, ByteBuffer.allocate(Workspace.MIB), data.bytes());
    }

    @Benchmark
    public long s3ReadCold(Data data, ReadServer server, S3Cold cold) throws IOException {
        return Workspace.readVolumeFile(cold.volume, FILE, ByteBuffer.allocate(Workspace.MIB), data.bytes());
    }

    /**
     * Why s3proxy cannot run here, in one line, or null: BenchRun skips the rows then, as
     * the NBD rows without their tools. Checks the jar (the build copies it) and a java to
     * run it; whether it starts shows in the run.
     */
    static String unavailable() {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null) {
            return "no s3proxy.jar property (bench/run sets it to storage.bench/target/s3proxy.jar)";
        }
        if (!Files.isRegularFile(Path.of(jar))) {
            return "no s3proxy jar at " + jar + " (the build copies it there)";
        }
        return null;
    }
}
