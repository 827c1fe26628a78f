package org.cowstack.storage.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.nbd.Export;
import org.cowstack.storage.nbd.NbdServer;
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
 * NBD throughput of this stack's {@link NbdServer} beside {@code qemu-nbd} serving a raw
 * file, measured by external clients (nbdcopy and fio's nbd engine) over loopback TCP.
 * Each trial starts both servers, each exporting {@code disk} of {@code mebibytes}: ours,
 * a file of a crc32c volume mounted on a {@code file:} device over a sparse image of
 * three times its size in the bench directory (host page cache, the default mount); and
 * {@code qemu-nbd -f raw --cache=writeback --aio=threads -e 16} (qemu-nbd's defaults but
 * for {@code -e}) over a sparse raw file in the same directory. Both go through the host
 * page cache and both advertise multi-conn (qemu-nbd does only with {@code -e} above 1),
 * so nbdcopy opens its default 4 connections to either. Before the first iteration each
 * export is filled with the source data and read back whole (nbdcopy, untimed), so every
 * later read and write meets written data, both servers' caches hold it (ours fits in the
 * volume cache, a quarter of the heap) and our server's code is compiled before the
 * warm-up iteration.
 *
 * <p>Every iteration measures both servers back to back, ours first in even iterations
 * and qemu-nbd first in odd ones, each timing its own client run; the rows take the
 * median of the per-iteration ratios, so a machine whose load drifts (a shared 2-core
 * host) weighs on both sides of each ratio alike.
 * <ul>
 * <li>{@link #copyIn}: {@code nbdcopy --flush} of a local file of non-zero data into the
 * export: the flush makes both servers make it durable (our commit, qemu's fdatasync)
 * before nbdcopy exits. MB/s ({@code oursMBps}, {@code qemuMBps}).</li>
 * <li>{@link #copyOut}: {@code nbdcopy} of the export to a local file, deleted before each
 * copy; the export's data warm in the host cache on both sides, and in our volume cache.</li>
 * <li>{@link #randRead}, {@link #randWrite}: {@code fio --ioengine=nbd} 4 KiB random reads or
 * writes, iodepth 16, one job (one connection), for {@code fioSeconds}; fio's IOPS
 * ({@code oursIops}, {@code qemuIops}). The writes ask no flush (fio's default); our
 * volume is committed before each iteration ({@link Committed}), untimed.</li>
 * </ul>
 * A trial whose tools are missing fails: BenchRun runs the methods only where
 * {@link #missing} finds their tools.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class NbdBenchmark {
    static final String IMAGE = "nbd.img";
    static final String RAW = "nbd-qemu.raw";
    static final String SOURCE = "nbd-source.dat";
    static final String OUT = "nbd-out.dat";
    static final String EXPORT = "disk";
    static final String FILE = "/disk";
    /** What the copy rows need, and what the fio rows need, beside qemu-nbd. */
    static final List<String> COPY_TOOLS = List.of("qemu-nbd", "nbdcopy");
    static final List<String> FIO_TOOLS = List.of("qemu-nbd", "fio");

    /** Both servers exporting {@code disk}, each filled with the source data, for a trial. */
    @State(Scope.Benchmark)
    public static class Served {
        @Param("1024")
        public int mebibytes;

        /** How long each fio run lasts. */
        @Param("10")
        public int fioSeconds;

        Path source;
        Path out;
        CowVolume volume;
        NbdServer nbd;
        Process qemu;
        Path qemuLog;
        int qemuPort;
        /** Invocations so far: even ones measure ours first, odd ones qemu-nbd first. */
        int invocation;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        String uri(boolean ours) {
            return "nbd://127.0.0.1:" + (ours ? nbd.port() : qemuPort) + "/" + EXPORT;
        }

        /** The two servers in this invocation's order: {@code true} is ours. */
        boolean[] order() {
            return invocation++ % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true};
        }

        @Setup(Level.Trial)
        public void start() throws IOException, InterruptedException {
            source = Workspace.file(SOURCE);
            out = Workspace.file(OUT);
            if (!Files.exists(source) || Files.size(source) != bytes()) {
                Workspace.writeBaseline(source, Workspace.pattern(Workspace.MIB, true, 13), bytes());
            }
            try {
                startOurs();
                startQemu();
                for (boolean ours : new boolean[] {true, false}) {
                    long t0 = System.nanoTime();
                    run(List.of("nbdcopy", "--flush", source.toString(), uri(ours)), 600);
                    long t1 = System.nanoTime();
                    run(List.of("nbdcopy", uri(ours), "null:"), 600);
                    System.out.printf("%n%s: filled %d MiB through %s in %d ms, read it back in %d ms%n",
                            name(ours), mebibytes, uri(ours), TimeUnit.NANOSECONDS.toMillis(t1 - t0),
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                stop(); // JMH does not tear down a trial whose setup failed
                throw e;
            }
        }

        private void startOurs() throws IOException {
            volume = Workspace.create(IMAGE, bytes() * 3 + 64L * Workspace.MIB, "crc32c", false,
                    MountOptions.defaults());
            try (FileHandle f = volume.open(FILE, Workspace.CREATE_READ_WRITE)) {
                f.truncate(bytes());
            }
            Export e = new Export(EXPORT, "bench", volume, FILE, false, List.of());
            Map<String, Export> exports = Map.of(EXPORT, e);
            nbd = new NbdServer(new InetSocketAddress("127.0.0.1", 0), exports::get, () -> List.of(e),
                    line -> System.out.println(line)).start();
        }

        private void startQemu() throws IOException, InterruptedException {
            Path raw = Workspace.file(RAW);
            Files.deleteIfExists(raw);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
                f.setLength(bytes()); // sparse, as the volume's image is
            }
            qemuPort = freePort();
            qemuLog = Workspace.file("nbd-qemu.log");
            List<String> cmd = List.of("qemu-nbd", "-f", "raw", "-x", EXPORT, "-b", "127.0.0.1", "-p",
                    Integer.toString(qemuPort), "-t", "-e", "16", "--cache=writeback", "--aio=threads",
                    raw.toString());
            System.out.println(String.join(" ", cmd));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(qemuLog.toFile()).start();
            qemu = p;
            // -t keeps it serving after its clients leave: it must not outlive this JVM.
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "stop-qemu-nbd"));
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", qemuPort)) {
                    return;
                } catch (IOException notYet) {
                    if (!qemu.isAlive() || System.nanoTime() > giveUp) {
                        throw new IOException("qemu-nbd did not listen on " + qemuPort + ": "
                                + Files.readString(qemuLog));
                    }
                    Thread.sleep(20);
                }
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException, InterruptedException {
            if (nbd != null) {
                nbd.close();
            }
            if (volume != null) {
                volume.unmount();
                Workspace.delete(IMAGE);
            }
            if (qemu != null) {
                qemu.destroy();
                if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly().waitFor();
                }
                Workspace.delete(RAW);
            }
            Files.deleteIfExists(out);
        }
    }

    static String name(boolean ours) {
        return ours ? "ours" : "qemu-nbd";
    }

    /**
     * Our volume committed before each iteration, untimed, as the mount table's commit
     * timer would (every 30 s by default; a volume mounted as a library here has none):
     * fio's random writes ask no flush, and a volume never committed keeps every block they
     * overwrite until the next commit.
     */
    @State(Scope.Thread)
    public static class Committed {
        @Setup(Level.Iteration)
        public void commit(Served s) throws IOException {
            s.volume.sync();
        }
    }

    /** Per iteration, each server's figure: MB/s of a copy, or fio's IOPS. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Counted {
        public double oursMBps;
        public double qemuMBps;
        public double oursIops;
        public double qemuIops;

        void megabytes(boolean ours, double v) {
            if (ours) {
                oursMBps = v;
            } else {
                qemuMBps = v;
            }
        }

        void iops(boolean ours, double v) {
            if (ours) {
                oursIops = v;
            } else {
                qemuIops = v;
            }
        }
    }

    @Benchmark
    public void copyIn(Served s, Counted c) throws IOException, InterruptedException {
        for (boolean ours : s.order()) {
            long t0 = System.nanoTime();
            run(List.of("nbdcopy", "--flush", s.source.toString(), s.uri(ours)), 600);
            c.megabytes(ours, megabytesPerSecond(s, "in", ours, System.nanoTime() - t0));
        }
    }

    @Benchmark
    public void copyOut(Served s, Counted c) throws IOException, InterruptedException {
        for (boolean ours : s.order()) {
            Files.deleteIfExists(s.out); // nbdcopy writes a new file each time
            long t0 = System.nanoTime();
            run(List.of("nbdcopy", s.uri(ours), s.out.toString()), 600);
            long nanos = System.nanoTime() - t0;
            if (Files.size(s.out) != s.bytes()) {
                throw new IOException("nbdcopy out wrote " + Files.size(s.out) + " bytes of " + s.bytes());
            }
            c.megabytes(ours, megabytesPerSecond(s, "out", ours, nanos));
        }
    }

    @Benchmark
    public void randRead(Served s, Counted c) throws IOException, InterruptedException {
        for (boolean ours : s.order()) {
            c.iops(ours, fio(s, ours, "randread", "read"));
        }
    }

    @Benchmark
    public void randWrite(Served s, Committed committed, Counted c) throws IOException, InterruptedException {
        for (boolean ours : s.order()) {
            c.iops(ours, fio(s, ours, "randwrite", "write"));
        }
    }

    static double megabytesPerSecond(Served s, String way, boolean ours, long nanos) {
        double mbps = s.bytes() / 1e6 / (nanos / 1e9);
        System.out.printf("%s nbdcopy %s: %.0f MB/s%n", name(ours), way, mbps);
        return mbps;
    }

    private static final Pattern IOPS = Pattern.compile("\"iops\"\\s*:\\s*([0-9.eE+-]+)");

    /** One fio run of {@code rw} against a server; its IOPS from the {@code direction} part of the JSON. */
    static double fio(Served s, boolean ours, String rw, String direction) throws IOException, InterruptedException {
        String json = run(List.of("fio", "--name=" + rw, "--ioengine=nbd", "--uri=" + s.uri(ours), "--rw=" + rw,
                "--bs=4k", "--iodepth=16", "--numjobs=1", "--time_based", "--runtime=" + s.fioSeconds,
                "--randrepeat=1", "--output-format=json"), s.fioSeconds + 120L);
        int at = json.indexOf("\"" + direction + "\" : {");
        Matcher m = IOPS.matcher(json);
        if (at < 0 || !m.find(at)) {
            throw new IOException("no " + direction + " IOPS in fio's output: " + json);
        }
        double iops = Double.parseDouble(m.group(1));
        System.out.printf("%s %s: %.0f IOPS%n", name(ours), rw, iops);
        return iops;
    }

    /** Runs {@code cmd}, answering its output; fails with the output when it fails or overruns. */
    static String run(List<String> cmd, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("nbd-bench", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", cmd) + ": still running after " + timeoutSeconds + " s: "
                        + Files.readString(log));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The tools of {@code tools} not on the PATH, as one line ({@code "qemu-nbd, fio not installed"}), or null. */
    static String missing(List<String> tools) {
        List<String> absent = new ArrayList<>();
        for (String t : tools) {
            if (!onPath(t)) {
                absent.add(t);
            }
        }
        return absent.isEmpty() ? null : String.join(", ", absent) + " not installed";
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
