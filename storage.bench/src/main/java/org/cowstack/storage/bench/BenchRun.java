package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.cowstack.storage.bench.Table.Bandwidth;
import org.cowstack.storage.bench.Table.Figure;
import org.cowstack.storage.bench.Table.Figures;
import org.cowstack.storage.bench.Table.LatencyRatio;
import org.cowstack.storage.bench.Table.Limit;
import org.cowstack.storage.bench.Table.Paired;
import org.cowstack.storage.bench.Table.Percentile;
import org.cowstack.storage.bench.Table.Pick;
import org.cowstack.storage.bench.Table.Ratio;
import org.cowstack.storage.bench.Table.Row;
import org.cowstack.storage.bench.Table.Scaling;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code bench/run [--quick] [--only REGEX]}: runs the benchmarks, each in a forked JVM,
 * and prints one table of ratios to baselines measured in the same run. JMH's own
 * output goes to a log per benchmark class ({@code -Dbench.logs}). {@code --quick} runs
 * smaller data and fewer iterations: the same rows, for a check in under two minutes,
 * not for figures to quote.
 */
public final class BenchRun {
    static final double REPORTED = Double.NaN;
    static final List<String> ALGORITHMS = List.of("crc32c", "xxhash64", "sha256", "blake2b");
    static final List<String> STRATEGIES = List.of("direct", "bounce", "verify", "buffered", "nodatasum");

    /** How big and how long: the full run and the quick one differ only here. */
    record Profile(boolean quick, int mebibytes, int writerMebibytes, int[] reflinkExtents, int mountExtents,
            int swaps, int daxMebibytes, int s3Mebibytes) {
        static final Profile FULL = new Profile(false, 1024, 256, new int[] {1, 10_000, 100_000}, 1_000_000, 100,
                256, 256);
        static final Profile QUICK = new Profile(true, 128, 32, new int[] {1, 1_000, 10_000}, 100_000, 20, 64, 32);

        String size() {
            return size(mebibytes);
        }

        static String size(int mebibytes) {
            return mebibytes % 1024 == 0 ? mebibytes / 1024 + " GiB" : mebibytes + " MiB";
        }
    }

    /** One JMH invocation: a benchmark class, the methods of it to run, parameters and iterations. */
    record Run(Class<?> benchmark, String methods, Map<String, String[]> params, int warmups, int measurements,
            TimeValue time) {
    }

    private BenchRun() {
    }

    static List<Run> runs(Profile p) {
        String mib = Integer.toString(p.mebibytes());
        String[] extents = java.util.Arrays.stream(p.reflinkExtents()).mapToObj(Integer::toString)
                .toArray(String[]::new);
        TimeValue checksumTime = p.quick() ? TimeValue.milliseconds(300) : TimeValue.seconds(1);
        TimeValue randomTime = p.quick() ? TimeValue.milliseconds(400) : TimeValue.seconds(2);
        List<Run> runs = new ArrayList<>(List.of(
                new Run(ChecksumBenchmark.class, "baselineJdkCrc32c|" + String.join("|", ALGORITHMS),
                        Map.of("blockSize", new String[] {"4096", "65536"}, "memory", new String[] {"heap"}),
                        p.quick() ? 1 : 2, p.quick() ? 2 : 5, checksumTime),
                // Single shots need warm-ups enough for the engine's deeper paths to be compiled.
                new Run(SequentialBenchmark.class, null, Map.of("mebibytes", new String[] {mib}),
                        p.quick() ? 5 : 3, p.quick() ? 3 : 5, null),
                new Run(RandomDirectBenchmark.class, null, Map.of("mebibytes", new String[] {mib}),
                        1, p.quick() ? 2 : 3, randomTime),
                new Run(ParallelWriteBenchmark.class, null,
                        Map.of("mebibytes", new String[] {Integer.toString(p.writerMebibytes())}),
                        p.quick() ? 3 : 2, p.quick() ? 3 : 5, null),
                new Run(CachedRandomReadBenchmark.class, null, Map.of("mebibytes", new String[] {mib}),
                        1, p.quick() ? 2 : 3, randomTime),
                new Run(ReflinkBenchmark.class, null, Map.of("mebibytes", new String[] {"1024"}, "extents", extents),
                        p.quick() ? 3 : 5, p.quick() ? 5 : 10, null),
                new Run(DedupeBenchmark.class, null, Map.of("mebibytes", new String[] {mib}),
                        p.quick() ? 3 : 2, 3, null),
                new Run(BitmapBenchmark.class, null, Map.of("mebibytes", new String[] {mib}),
                        1, p.quick() ? 2 : 3, randomTime),
                new Run(MountBenchmark.class, null, Map.of("mebibytes", new String[] {"1024"},
                        "extents", new String[] {Integer.toString(p.mountExtents())}),
                        1, p.quick() ? 3 : 5, null),
                // Cold single shots, each reading it all: the host disk of the bench VM varied
                // 3x between cold reads of 1 GiB (386 to 1457 ms), so the full run takes more.
                new Run(ScrubBenchmark.class, null, Map.of("mebibytes", new String[] {mib},
                        "readerMillis", new String[] {p.quick() ? "1000" : "3000"}), p.quick() ? 1 : 2,
                        p.quick() ? 3 : 6, null),
                // Passes of tens of ms over memory: timed iterations, every method in the same fork.
                new Run(DaxReadBenchmark.class, null,
                        Map.of("mebibytes", new String[] {Integer.toString(p.daxMebibytes())}),
                        p.quick() ? 1 : 2, p.quick() ? 2 : 5, p.quick() ? TimeValue.milliseconds(400)
                                : TimeValue.seconds(1)),
                new Run(HotSwapBenchmark.class, null, Map.of(), p.quick() ? 2 : 5, p.swaps(), null),
                new Run(ClonedReadBenchmark.class, null, Map.of("mebibytes", new String[] {"64"},
                        "clones", new String[] {"8"}), 1, p.quick() ? 2 : 3, null)));
        // External clients against ours and qemu-nbd: only the methods whose tools are here.
        List<String> nbd = new ArrayList<>();
        if (NbdBenchmark.missing(NbdBenchmark.COPY_TOOLS) == null) {
            nbd.add("copyIn|copyOut");
        }
        if (NbdBenchmark.missing(NbdBenchmark.FIO_TOOLS) == null) {
            nbd.add("randRead|randWrite");
        }
        if (!nbd.isEmpty()) {
            runs.add(new Run(NbdBenchmark.class, String.join("|", nbd), Map.of("mebibytes", new String[] {nbdMib(p)},
                    "fioSeconds", new String[] {p.quick() ? "3" : "10"}), 1, p.quick() ? 2 : 3, null));
        }
        // s3: through s3proxy, a process on this machine: only where its jar is.
        if (S3Benchmark.unavailable() == null) {
            runs.add(new Run(S3Benchmark.class, null,
                    Map.of("mebibytes", new String[] {Integer.toString(p.s3Mebibytes())}), 1, p.quick() ? 2 : 3,
                    null));
        }
        return runs;
    }

    /** The NBD rows' export: 1 GiB, or 256 MiB in the quick run (nbdcopy and fio start up in ms; less says little). */
    static String nbdMib(Profile p) {
        return p.quick() ? "256" : "1024";
    }

    /** {@code row}, or the row skipped with why when s3proxy cannot run here. */
    static Row needingS3(Row row) {
        String why = S3Benchmark.unavailable();
        return why == null ? row : new Table.Skipped(row, why);
    }

    /** {@code row}, or the row skipped with why when {@code tools} are not all installed. */
    static Row needing(List<String> tools, Row row) {
        String missing = NbdBenchmark.missing(tools);
        return missing == null ? row : new Table.Skipped(row, missing);
    }

    /** The table: one entry per row, in the order printed. */
    static List<Row> rows(Profile p) {
        List<Row> rows = new ArrayList<>();
        for (String block : List.of("4096", "65536")) {
            for (String alg : ALGORITHMS) {
                rows.add(new Ratio("checksum " + alg + ", " + Integer.parseInt(block) / 1024 + " KiB blocks",
                        Pick.of("ChecksumBenchmark." + alg, "blockSize", block),
                        Pick.of("ChecksumBenchmark.baselineJdkCrc32c", "blockSize", block),
                        alg.equals("crc32c") ? 0.95 : REPORTED));
            }
        }
        rows.add(new Ratio("sequential buffered write " + p.size() + ", 1 MiB writes, crc32c, fsync",
                Pick.of("SequentialBenchmark.volumeWrite"), Pick.of("SequentialBenchmark.baselineWrite"), 0.80));
        for (String cache : List.of("Cold", "Warm")) {
            rows.add(new Ratio("sequential read " + p.size() + ", verified, " + cache.toLowerCase() + " cache",
                    Pick.of("SequentialBenchmark.volumeRead" + cache),
                    Pick.of("SequentialBenchmark.baselineRead" + cache), 0.90));
        }
        for (String strategy : STRATEGIES) {
            rows.add(new Ratio("random 4 KiB direct writes, " + p.size() + " file, dio " + strategy,
                    Pick.of("RandomDirectBenchmark.volumeWrite", "strategy", strategy),
                    Pick.of("RandomDirectBenchmark.baselineWrite"), strategy.equals("nodatasum") ? 0.90 : REPORTED));
        }
        rows.add(new Ratio("random 4 KiB reads, " + p.size() + " file, cold volume cache",
                Pick.of("RandomDirectBenchmark.volumeRead"), Pick.of("RandomDirectBenchmark.baselineRead"),
                REPORTED));
        rows.add(new Ratio("random 4 KiB reads, " + p.size() + " file, warm volume cache (vs host cache)",
                Pick.of("CachedRandomReadBenchmark.volumeRead"), Pick.of("CachedRandomReadBenchmark.baselineRead"),
                0.90));
        rows.add(new Ratio(ParallelWriteBenchmark.WRITERS + " writers, " + ParallelWriteBenchmark.WRITERS
                + " files of " + Profile.size(p.writerMebibytes()) + ", 1 MiB writes, crc32c, fsync each",
                Pick.of("ParallelWriteBenchmark.volumeWrite"), Pick.of("ParallelWriteBenchmark.baselineWrite"), 0.80));
        int[] extents = p.reflinkExtents();
        rows.add(new Limit("reflink 1 GiB file, 1 extent", Pick.of("ReflinkBenchmark.reflink", "extents", "1"), 1));
        rows.add(new Scaling("reflink 1 GiB file, " + extents[2] + " extents (time per extent vs " + extents[1] + ")",
                Pick.of("ReflinkBenchmark.reflink", "extents", Integer.toString(extents[2])),
                Pick.of("ReflinkBenchmark.reflink", "extents", Integer.toString(extents[1])), "extents", 1.5));
        rows.add(new Ratio("dedupe " + p.size() + " of identical data (vs reading twice that)",
                Pick.of("DedupeBenchmark.dedupe"), Pick.of("DedupeBenchmark.baselineRead"), 0.80));
        for (String mode : List.of("transactional", "qemu")) {
            rows.add(new Ratio("random 4 KiB writes + fsync per 16, " + p.size() + " file, " + mode
                    + " bitmap recording (vs none)", Pick.of("BitmapBenchmark.writes", "bitmap", mode),
                    Pick.of("BitmapBenchmark.writes", "bitmap", "none"), 0.80));
        }
        rows.add(new Bandwidth("scrub " + p.size() + " volume, read-only, cold (vs raw sequential read of its image)",
                Pick.of("ScrubBenchmark.scrub"), Pick.of("ScrubBenchmark.baselineRead"), "bytes", 0.90));
        rows.add(new LatencyRatio("random 4 KiB reads (1/ms) of a " + p.size()
                + " file, O_DIRECT: p99 during a scrub (vs no scrub; lower is better)",
                Pick.of("ScrubBenchmark.scrubWithReader"), Pick.of("ScrubBenchmark.readerAlone"), "p99Micros", 3.0,
                "us"));
        rows.add(new Limit("mount 1 GiB volume with " + p.mountExtents() + " extents, cold cache",
                Pick.of("MountBenchmark.mount"), 1000));
        String dax = "dax read " + Profile.size(p.daxMebibytes()) + " file, 1 MiB heap copies";
        rows.add(new Ratio(dax + ", mapped views, warm (vs raw copy from a MappedByteBuffer of the image)",
                Pick.of("DaxReadBenchmark.views"), Pick.of("DaxReadBenchmark.rawCopy"), 0.90));
        rows.add(new Ratio(dax + ", mapped views, first touch (new mapping: views made, blocks verified)",
                Pick.of("DaxReadBenchmark.viewsFirstTouch"), Pick.of("DaxReadBenchmark.rawCopy"), REPORTED));
        rows.add(new Ratio(dax + ", FileHandle.read (vs the same raw copy)",
                Pick.of("DaxReadBenchmark.fileRead"), Pick.of("DaxReadBenchmark.rawCopy"), REPORTED));
        rows.add(new Percentile("hot-swap stall of buffered writes: storage.csum updated " + p.swaps()
                + " times under 2 buffered writers and 1 fsyncing", Pick.of("HotSwapBenchmark.updateCsum"),
                "stallMillis", 0.99, 5, "ms"));
        rows.add(new Percentile("hot-swap stall of the writer fsyncing every 1 MiB, same updates",
                Pick.of("HotSwapBenchmark.updateCsum"), "fsyncStallMillis", 0.99, REPORTED, "ms"));
        rows.add(new Figure("8 clones of a 64 MiB file read through the cache: bytes of cache per byte of"
                + " distinct data", Pick.of("ClonedReadBenchmark.readClones"), "cachePerDistinct", 1.1, "x"));
        String nbd = "NBD export of " + Profile.size(Integer.parseInt(nbdMib(p))) + " (vs qemu-nbd -f raw): ";
        for (String way : List.of("In", "Out")) {
            rows.add(needing(NbdBenchmark.COPY_TOOLS, new Paired(nbd + "nbdcopy " + (way.equals("In")
                    ? "in from a local file, --flush" : "out to a local file"), Pick.of("NbdBenchmark.copy" + way),
                    "oursMBps", "qemuMBps", 0.80, "MB/s")));
        }
        for (String rw : List.of("Read", "Write")) {
            rows.add(needing(NbdBenchmark.FIO_TOOLS, new Paired(nbd + "fio 4 KiB random " + rw.toLowerCase()
                    + "s, iodepth 16", Pick.of("NbdBenchmark.rand" + rw), "oursIops", "qemuIops", 0.80, "IOPS")));
        }
        // s3proxy's filesystem backend on this machine: no network, so the ratios are what the
        // protocol, the object layout and the device cache cost.
        String s3 = "s3: on a local s3proxy (filesystem backend, loopback), " + Profile.size(p.s3Mebibytes())
                + " file, crc32c";
        rows.add(needingS3(new Ratio(s3 + ", sequential 1 MiB writes + fsync, 4 MiB objects (vs file:)",
                Pick.of("S3Benchmark.s3Write"), Pick.of("S3Benchmark.fileWrite"), REPORTED)));
        rows.add(needingS3(new Figures(s3 + ", the write: requests per GiB written",
                Pick.of("S3Benchmark.s3Write"), List.of("requestsPerGiB", "putsPerGiB", "getsPerGiB",
                        "writePutsPerGiB", "fsyncPercent"))));
        for (String objectMib : List.of("4", "1")) {
            String read = s3 + ", cold sequential read (fresh device), " + objectMib + " MiB objects";
            rows.add(needingS3(new Ratio(read + " (vs file:)", Pick.of("S3Benchmark.s3ReadCold", "objectMib",
                    objectMib), Pick.of("S3Benchmark.fileReadCold"), REPORTED)));
            rows.add(needingS3(new Figures(read + ": device cache hit rate, GETs per GiB read",
                    Pick.of("S3Benchmark.s3ReadCold", "objectMib", objectMib),
                    List.of("cacheHitPercent", "getsPerGiB"))));
        }
        return rows;
    }

    public static void main(String[] args) throws IOException {
        Profile profile = Profile.FULL;
        Pattern only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> profile = Profile.QUICK;
                case "--only" -> {
                    if (i + 1 == args.length) {
                        usage("--only needs a regular expression");
                    }
                    try {
                        only = Pattern.compile(args[++i]);
                    } catch (java.util.regex.PatternSyntaxException e) {
                        usage("--only " + args[i] + " is not a regular expression: " + e.getDescription());
                    }
                }
                case "-h", "--help" -> {
                    System.out.println("usage: bench/run [--quick] [--only REGEX]");
                    return;
                }
                default -> usage("unknown argument " + args[i]);
            }
        }
        Path logs = Files.createDirectories(Path.of(System.getProperty("bench.logs", "target/bench-logs")));
        Table.Results results = new Table.Results();
        List<Run> runs = new ArrayList<>(runs(profile));
        if (only != null) {
            Pattern p = only;
            runs.removeIf(r -> !p.matcher(r.benchmark().getSimpleName()).find());
        }
        long start = System.nanoTime();
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            Path log = logs.resolve(run.benchmark().getSimpleName() + ".log");
            System.err.printf("[%d/%d] %s (log: %s) ... ", i + 1, runs.size(), run.benchmark().getSimpleName(), log);
            long t0 = System.nanoTime();
            try {
                results.add(runWhenAlone(run, log));
                System.err.printf("%d s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
            } catch (RunnerException e) {
                System.err.println("failed: " + e.getMessage() + " (see the log)");
            }
        }
        System.err.printf("all benchmarks: %d s%n%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        List<Row> rows = rows(profile);
        if (only != null) {
            Pattern p = only;
            rows.removeIf(r -> !p.matcher(r.toString()).find());
        }
        System.out.print(Table.render(rows, results));
        Path tsv = Path.of(System.getProperty("bench.results", "target/bench-results.tsv"));
        Files.createDirectories(tsv.toAbsolutePath().getParent());
        String header = "bench/run" + (profile.quick() ? " --quick" : "") + (only != null ? " --only " + only : "")
                + " at " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Files.writeString(tsv, Table.tsv(header, rows, results));
        System.err.println("results also in " + tsv);
    }

    /**
     * Runs {@code run}, waiting while another JMH run on this machine holds JMH's lock
     * ({@code /tmp/jmh.lock}): two benchmark runs at once would measure each other. Waits
     * up to an hour, saying so once.
     */
    static java.util.Collection<org.openjdk.jmh.results.RunResult> runWhenAlone(Run run, Path log)
            throws RunnerException {
        long giveUp = System.nanoTime() + TimeUnit.HOURS.toNanos(1);
        boolean said = false;
        while (true) {
            try {
                return new Runner(options(run, log)).run();
            } catch (RunnerException e) {
                if (!String.valueOf(e.getMessage()).contains("JMH lock") || System.nanoTime() > giveUp) {
                    throw e;
                }
                if (!said) {
                    System.err.print("waiting for another JMH run on this machine to finish ... ");
                    said = true;
                }
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException i) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static org.openjdk.jmh.runner.options.Options options(Run run, Path log) {
        String methods = run.methods() == null ? ".*" : "(" + run.methods() + ")";
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include("^" + Pattern.quote(run.benchmark().getName()) + "\\." + methods + "$")
                .warmupIterations(run.warmups())
                .measurementIterations(run.measurements())
                .forks(1)
                .shouldFailOnError(true)
                .jvmArgsAppend("-Dbench.dir=" + absolute("bench.dir", "target/bench-data"),
                        "-Dbench.bundles=" + absolute("bench.bundles", "target/bundles"),
                        "-Ds3proxy.jar=" + absolute("s3proxy.jar", "target/s3proxy.jar"),
                        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED")
                .output(log.toString());
        if (run.time() != null) {
            o.warmupTime(run.time()).measurementTime(run.time());
        }
        run.params().forEach(o::param);
        return o.build();
    }

    private static String absolute(String property, String fallback) {
        return Path.of(System.getProperty(property, fallback)).toAbsolutePath().toString();
    }

    private static void usage(String problem) {
        System.err.println("error: " + problem + " (usage: bench/run [--quick] [--only REGEX])");
        System.exit(2);
    }
}
