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
 * Each trial serves one export named {@code disk} of {@code mebibytes} from one server
 * ({@code server}): {@code ours}, a file of a crc32c volume mounted on a {@code file:}
 * device over a sparse image of three times its size in the bench directory (host page
 * cache, the default mount); or {@code qemu}, {@code qemu-nbd -f raw --cache=writeback --aio=threads -e 16}
 * (qemu-nbd's defaults but for {@code -e}) over a sparse raw file in the same directory.
 * Both go through the host page cache and both advertise multi-conn (qemu-nbd does only
 * with {@code -e} above 1), so nbdcopy opens its default 4 connections to either. Before
 * the first iteration the export is filled with the source data and read back whole
 * (nbdcopy, untimed), so every later read and write meets written data, both servers'
 * caches hold it (ours fits in the volume cache, a quarter of the heap) and our
 * server's code is compiled before the warm-up iterations.
 * <ul>
 * <li>{@link #copyIn}: {@code nbdcopy --flush} of a local file of non-zero data into the
 * export: the flush makes both servers make it durable (our commit, qemu's fdatasync)
 * before nbdcopy exits.</li>
 * <li>{@link #copyOut}: {@code nbdcopy} of the export to a local file, deleted before each
 * iteration; the export's data warm in the host cache on both sides.</li>
 * <li>{@link #randRead}, {@link #randWrite}: {@code fio --ioengine=nbd} 4 KiB random reads or
 * writes, iodepth 16, one job (one connection), for {@code fioSeconds}; fio's IOPS go to
 * the counter {@code iops}. The writes ask no flush (fio's default); our volume is
 * committed between runs ({@link Committed}), untimed.</li>
 * </ul>
 * A copy counts its bytes ({@code bytes}). A trial whose tools are missing fails: BenchRun
 * runs this class only where {@link #missing} finds them all.
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

    /** One server exporting {@code disk}, filled with the source data, for a trial. */
    @State(Scope.Benchmark)
    public static class Served {
        @Param("1024")
        public int mebibytes;

        /** How long each fio run lasts. */
        @Param("10")
        public int fioSeconds;

        @Param({"ours", "qemu"})
        public String server;

        Path source;
        Path out;
        CowVolume volume;
        NbdServer nbd;
        Process qemu;
        Path qemuLog;
        int port;

        long bytes() {
            return (long) mebibytes * Workspace.MIB;
        }

        String uri() {
            return "nbd://127.0.0.1:" + port + "/" + EXPORT;
        }

        @Setup(Level.Trial)
        public void start() throws IOException, InterruptedException {
            source = Workspace.file(SOURCE);
            out = Workspace.file(OUT);
            if (!Files.exists(source) || Files.size(source) != bytes()) {
                Workspace.writeBaseline(source, Workspace.pattern(Workspace.MIB, true, 13), bytes());
            }
            switch (server) {
                case "ours" -> startOurs();
                case "qemu" -> startQemu();
                default -> throw new IllegalArgumentException("server " + server + ": ours or qemu");
            }
            long t0 = System.nanoTime();
            run(List.of("nbdcopy", "--flush", source.toString(), uri()), 600);
            long t1 = System.nanoTime();
            run(List.of("nbdcopy", uri(), "null:"), 600);
            System.out.printf("%n%s: filled %d MiB through %s in %d ms, read it back in %d ms%n", server, mebibytes,
                    uri(), TimeUnit.NANOSECONDS.toMillis(t1 - t0), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
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
            port = nbd.port();
        }

        private void startQemu() throws IOException, InterruptedException {
            Path raw = Workspace.file(RAW);
            Files.deleteIfExists(raw);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
                f.setLength(bytes()); // sparse, as the volume's image is
            }
            port = freePort();
            qemuLog = Workspace.file("nbd-qemu.log");
            List<String> cmd = List.of("qemu-nbd", "-f", "raw", "-x", EXPORT, "-b", "127.0.0.1", "-p",
                    Integer.toString(port), "-t", "-e", "16", "--cache=writeback", "--aio=threads", raw.toString());
            System.out.println(String.join(" ", cmd));
            qemu = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(qemuLog.toFile()).start();
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return;
                } catch (IOException notYet) {
                    if (!qemu.isAlive() || System.nanoTime() > giveUp) {
                        throw new IOException("qemu-nbd did not listen on " + port + ": "
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
            if (s.volume != null) {
                s.volume.sync();
            }
        }
    }

    /** The local copy of the export deleted before each copy out: nbdcopy writes a new file. */
    @State(Scope.Thread)
    public static class FreshOut {
        @Setup(Level.Iteration)
        public void delete(Served s) throws IOException {
            Files.deleteIfExists(s.out);
        }
    }

    /** Per run: bytes copied (nbdcopy), or fio's IOPS. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Counted {
        public double bytes;
        public double iops;
    }

    @Benchmark
    public void copyIn(Served s, Counted c) throws IOException, InterruptedException {
        run(List.of("nbdcopy", "--flush", s.source.toString(), s.uri()), 600);
        c.bytes = s.bytes();
    }

    @Benchmark
    public void copyOut(Served s, FreshOut fresh, Counted c) throws IOException, InterruptedException {
        run(List.of("nbdcopy", s.uri(), s.out.toString()), 600);
        if (Files.size(s.out) != s.bytes()) {
            throw new IOException("nbdcopy out wrote " + Files.size(s.out) + " bytes of " + s.bytes());
        }
        c.bytes = s.bytes();
    }

    @Benchmark
    public void randRead(Served s, Counted c) throws IOException, InterruptedException {
        c.iops = fio(s, "randread", "read");
    }

    @Benchmark
    public void randWrite(Served s, Committed committed, Counted c) throws IOException, InterruptedException {
        c.iops = fio(s, "randwrite", "write");
    }

    private static final Pattern IOPS = Pattern.compile("\"iops\"\\s*:\\s*([0-9.eE+-]+)");

    /** One fio run of {@code rw} against the export; its IOPS from the {@code direction} part of the JSON. */
    static double fio(Served s, String rw, String direction) throws IOException, InterruptedException {
        String json = run(List.of("fio", "--name=" + rw, "--ioengine=nbd", "--uri=" + s.uri(), "--rw=" + rw,
                "--bs=4k", "--iodepth=16", "--numjobs=1", "--time_based", "--runtime=" + s.fioSeconds,
                "--randrepeat=1", "--output-format=json"), s.fioSeconds + 120L);
        int at = json.indexOf("\"" + direction + "\" : {");
        Matcher m = IOPS.matcher(json);
        if (at < 0 || !m.find(at)) {
            throw new IOException("no " + direction + " IOPS in fio's output: " + json);
        }
        double iops = Double.parseDouble(m.group(1));
        System.out.printf("%s %s: %.0f IOPS%n", s.server, rw, iops);
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
