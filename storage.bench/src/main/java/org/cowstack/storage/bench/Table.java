package org.cowstack.storage.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.annotations.Mode;

/**
 * The one table {@code bench/run} prints: a row per workload, each a ratio to its
 * baseline from the same run (1.00 = as fast as the raw device; higher is better) or,
 * where there is no baseline, a figure against an absolute limit. A row names the JMH
 * benchmark methods and parameters it reads, so adding one is a few lines in
 * {@link BenchRun#rows}.
 */
final class Table {
    /** What a row reports and how it is judged. */
    interface Row {
        String workload();

        /** The cells after the workload: ratio or value, engine, baseline, target, verdict. */
        Cells evaluate(Results results);
    }

    record Cells(String ratio, String engine, String baseline, String target, Verdict verdict) {
    }

    enum Verdict {
        OK("ok"), MISS("MISS"), REPORTED(""), NO_RESULT("NO RESULT"), SKIPPED("skipped");

        final String text;

        Verdict(String text) {
            this.text = text;
        }
    }

    /** Selects results by benchmark method ({@code Class.method}) and some parameters. */
    record Pick(String method, Map<String, String> params) {
        static Pick of(String method, String... keyValues) {
            Map<String, String> p = new java.util.LinkedHashMap<>();
            for (int i = 0; i < keyValues.length; i += 2) {
                p.put(keyValues[i], keyValues[i + 1]);
            }
            return new Pick(method, p);
        }
    }

    /** The JMH results of the whole run. */
    static final class Results {
        private final List<RunResult> all = new ArrayList<>();

        void add(Collection<RunResult> results) {
            all.addAll(results);
        }

        Optional<RunResult> find(Pick pick) {
            return all.stream().filter(r -> matches(r.getParams(), pick)).findFirst();
        }

        private static boolean matches(BenchmarkParams params, Pick pick) {
            String name = params.getBenchmark();
            String simple = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            if (!simple.equals(pick.method())) {
                return false;
            }
            for (var e : pick.params().entrySet()) {
                if (!e.getValue().equals(params.getParam(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A speed ratio, engine over baseline, judged against a minimum (or only reported when NaN). */
    record Ratio(String workload, Pick engine, Pick baseline, double atLeast) implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            Optional<RunResult> b = results.find(baseline);
            String target = Double.isNaN(atLeast) ? "reported" : ">= " + fixed(atLeast);
            if (e.isEmpty() || b.isEmpty()) {
                return new Cells("-", e.map(Table::score).orElse("-"), b.map(Table::score).orElse("-"), target,
                        Verdict.NO_RESULT);
            }
            double ratio = speed(e.get()) / speed(b.get());
            Verdict v = Double.isNaN(atLeast) ? Verdict.REPORTED : ratio >= atLeast ? Verdict.OK : Verdict.MISS;
            return new Cells(fixed(ratio), score(e.get()), score(b.get()), target, v);
        }
    }

    /** An absolute figure (the primary score) against a maximum, in the score's own unit. */
    record Limit(String workload, Pick engine, double below) implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            String target = "< " + number(below) + " " + e.map(r -> r.getPrimaryResult().getScoreUnit())
                    .map(Table::timeUnit).orElse("");
            if (e.isEmpty()) {
                return new Cells("-", "-", "-", target, Verdict.NO_RESULT);
            }
            double value = e.get().getPrimaryResult().getScore();
            return new Cells("-", score(e.get()), "-", target, value < below ? Verdict.OK : Verdict.MISS);
        }
    }

    /**
     * How time grows with size: the time per unit at {@code large} over the time per unit
     * at {@code small}; 1.00 is linear, below is better than linear.
     */
    record Scaling(String workload, Pick large, Pick small, String sizeParam, double atMost) implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> l = results.find(large);
            Optional<RunResult> s = results.find(small);
            String target = "<= " + fixed(atMost) + " (1 = linear)";
            if (l.isEmpty() || s.isEmpty()) {
                return new Cells("-", "-", "-", target, Verdict.NO_RESULT);
            }
            double perUnitLarge = l.get().getPrimaryResult().getScore()
                    / Double.parseDouble(l.get().getParams().getParam(sizeParam));
            double perUnitSmall = s.get().getPrimaryResult().getScore()
                    / Double.parseDouble(s.get().getParams().getParam(sizeParam));
            double ratio = perUnitLarge / perUnitSmall;
            return new Cells(fixed(ratio), score(l.get()), score(s.get()) + " at " + s.get().getParams()
                    .getParam(sizeParam), target, ratio <= atMost ? Verdict.OK : Verdict.MISS);
        }
    }

    /**
     * A percentile of a per-iteration secondary result (one sample per invocation) against
     * a maximum (or only reported when NaN); the largest sample is shown beside it.
     */
    record Percentile(String workload, Pick engine, String counter, double percentile, double below, String unit)
            implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            String target = Double.isNaN(below) ? "reported"
                    : "p" + number(percentile * 100) + " < " + number(below) + " " + unit;
            if (e.isEmpty()) {
                return new Cells("-", "-", "-", target, Verdict.NO_RESULT);
            }
            double[] samples = samples(e.get(), counter);
            if (samples.length == 0) {
                return new Cells("-", "-", "-", target, Verdict.NO_RESULT);
            }
            Arrays.sort(samples);
            double p = samples[(int) Math.ceil(percentile * samples.length) - 1];
            String engineCell = "p" + number(percentile * 100) + " " + fixed(p) + " " + unit + ", max "
                    + fixed(samples[samples.length - 1]) + " (" + samples.length + " samples)";
            Verdict v = Double.isNaN(below) ? Verdict.REPORTED : p < below ? Verdict.OK : Verdict.MISS;
            return new Cells("-", engineCell, "-", target, v);
        }
    }

    /**
     * A speed ratio in bytes per second, engine over baseline, where each side counts the
     * bytes it moved per iteration in the secondary result {@code counter} (the two may
     * move different amounts: a scrub reads metadata a raw read of the data does not).
     */
    record Bandwidth(String workload, Pick engine, Pick baseline, String counter, double atLeast) implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            Optional<RunResult> b = results.find(baseline);
            String target = Double.isNaN(atLeast) ? "reported" : ">= " + fixed(atLeast);
            double es = e.map(r -> bytesPerSecond(r, counter)).orElse(Double.NaN);
            double bs = b.map(r -> bytesPerSecond(r, counter)).orElse(Double.NaN);
            if (Double.isNaN(es) || Double.isNaN(bs)) {
                return new Cells("-", Double.isNaN(es) ? "-" : megabytes(es), Double.isNaN(bs) ? "-" : megabytes(bs),
                        target, Verdict.NO_RESULT);
            }
            double ratio = es / bs;
            Verdict v = Double.isNaN(atLeast) ? Verdict.REPORTED : ratio >= atLeast ? Verdict.OK : Verdict.MISS;
            return new Cells(fixed(ratio), megabytes(es), megabytes(bs), target, v);
        }

        private static String megabytes(double bytesPerSecond) {
            return number(bytesPerSecond / 1e6) + " MB/s";
        }
    }

    /**
     * A latency ratio, engine over baseline (lower is better), each side the median over
     * its iterations of a per-iteration secondary result {@code counter} (such as a
     * percentile the benchmark computed from its own samples), judged against a maximum.
     */
    record LatencyRatio(String workload, Pick engine, Pick baseline, String counter, double atMost, String unit)
            implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            Optional<RunResult> b = results.find(baseline);
            String target = Double.isNaN(atMost) ? "reported" : "<= " + fixed(atMost);
            double em = e.map(r -> median(samples(r, counter))).orElse(Double.NaN);
            double bm = b.map(r -> median(samples(r, counter))).orElse(Double.NaN);
            String ec = Double.isNaN(em) ? "-" : counter + " " + number(em) + " " + unit;
            String bc = Double.isNaN(bm) ? "-" : counter + " " + number(bm) + " " + unit;
            if (Double.isNaN(em) || Double.isNaN(bm)) {
                return new Cells("-", ec, bc, target, Verdict.NO_RESULT);
            }
            double ratio = em / bm;
            Verdict v = Double.isNaN(atMost) ? Verdict.REPORTED : ratio <= atMost ? Verdict.OK : Verdict.MISS;
            return new Cells(fixed(ratio), ec, bc, target, v);
        }
    }

    /**
     * A figure the benchmark counted itself, not a speed: the median over its iterations
     * of the per-iteration secondary result {@code counter} (such as cache bytes per byte
     * of data), judged against a maximum (or only reported when NaN).
     */
    record Figure(String workload, Pick engine, String counter, double atMost, String unit) implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            String target = Double.isNaN(atMost) ? "reported" : "<= " + fixed(atMost);
            double m = e.map(r -> median(samples(r, counter))).orElse(Double.NaN);
            if (Double.isNaN(m)) {
                return new Cells("-", "-", "-", target, Verdict.NO_RESULT);
            }
            Verdict v = Double.isNaN(atMost) ? Verdict.REPORTED : m <= atMost ? Verdict.OK : Verdict.MISS;
            return new Cells(fixed(m), counter + " " + number(m) + " " + unit, "-", target, v);
        }
    }

    /**
     * Figures the benchmark counted itself, only reported: the median over its iterations
     * of each per-iteration secondary result in {@code counters}, side by side in the
     * engine cell (such as the requests an {@code s3:} device made per GiB).
     */
    record Figures(String workload, Pick engine, List<String> counters) implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> e = results.find(engine);
            List<String> cells = new ArrayList<>();
            for (String counter : counters) {
                double m = e.map(r -> median(samples(r, counter))).orElse(Double.NaN);
                if (!Double.isNaN(m)) {
                    cells.add(counter + " " + number(m));
                }
            }
            if (cells.isEmpty()) {
                return new Cells("-", "-", "-", "reported", Verdict.NO_RESULT);
            }
            return new Cells("-", String.join(", ", cells), "-", "reported", Verdict.REPORTED);
        }
    }

    /**
     * Engine and baseline measured side by side in each iteration of one benchmark, each
     * as a per-iteration secondary result the benchmark computed (such as MB/s or the
     * IOPS an external tool reported; higher is better): the ratio is the median of the
     * per-iteration ratios, the cells the medians of each side, judged against a minimum.
     */
    record Paired(String workload, Pick pick, String engine, String baseline, double atLeast, String unit)
            implements Row {
        @Override
        public Cells evaluate(Results results) {
            Optional<RunResult> r = results.find(pick);
            String target = Double.isNaN(atLeast) ? "reported" : ">= " + fixed(atLeast);
            double[] e = r.map(x -> samples(x, engine)).orElse(new double[0]);
            double[] b = r.map(x -> samples(x, baseline)).orElse(new double[0]);
            if (e.length == 0 || e.length != b.length) {
                return new Cells("-", "-", "-", target, Verdict.NO_RESULT);
            }
            double[] ratios = new double[e.length];
            for (int i = 0; i < e.length; i++) {
                ratios[i] = e[i] / b[i];
            }
            double ratio = median(ratios);
            Verdict v = Double.isNaN(atLeast) ? Verdict.REPORTED : ratio >= atLeast ? Verdict.OK : Verdict.MISS;
            return new Cells(fixed(ratio), number(median(e)) + " " + unit, number(median(b)) + " " + unit, target, v);
        }
    }

    /**
     * {@code row} not measured on this machine, and why, in one line (such as a tool that
     * is not installed). It keeps the row's text, so {@code --only} selects it as it would the row.
     */
    record Skipped(Row row, String why) implements Row {
        @Override
        public String workload() {
            return row.workload();
        }

        @Override
        public Cells evaluate(Results results) {
            return new Cells("-", "skipped: " + why, "-", row.evaluate(results).target(), Verdict.SKIPPED);
        }
    }

    /** The median of {@code samples}, NaN when there are none. */
    static double median(double[] samples) {
        if (samples.length == 0) {
            return Double.NaN;
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /**
     * Bytes per second over a run's iterations: the bytes each counted in {@code counter}
     * over the time each took (its primary score, a time per operation, one operation per
     * iteration as in single-shot mode); NaN when the run has no such counter.
     */
    static double bytesPerSecond(RunResult run, String counter) {
        double bytes = 0;
        double seconds = 0;
        double perUnit = run.getParams().getTimeUnit().toNanos(1) / 1e9;
        for (BenchmarkResult b : run.getBenchmarkResults()) {
            for (IterationResult i : b.getIterationResults()) {
                Result r = i.getSecondaryResults().get(counter);
                if (r == null) {
                    return Double.NaN;
                }
                bytes += r.getScore();
                seconds += i.getPrimaryResult().getScore() * perUnit;
            }
        }
        return seconds > 0 ? bytes / seconds : Double.NaN;
    }

    static double[] samples(RunResult run, String counter) {
        List<Double> out = new ArrayList<>();
        for (BenchmarkResult b : run.getBenchmarkResults()) {
            for (IterationResult i : b.getIterationResults()) {
                Result r = i.getSecondaryResults().get(counter);
                if (r != null) {
                    out.add(r.getScore());
                }
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Operations per unit of time, whatever the mode measured. */
    static double speed(RunResult r) {
        double score = r.getPrimaryResult().getScore();
        return r.getParams().getMode() == Mode.Throughput ? score : 1 / score;
    }

    static String score(RunResult r) {
        return number(r.getPrimaryResult().getScore()) + " " + timeUnit(r.getPrimaryResult().getScoreUnit());
    }

    private static String timeUnit(String jmhUnit) {
        return jmhUnit.replace("/op", "");
    }

    static String fixed(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.format(Locale.ROOT, "%d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.3g", v);
    }

    /**
     * The same rows as tab-separated values for other tools ({@code bench/peers}): a
     * comment line {@code # header}, a line of column names, then a line per row.
     */
    static String tsv(String header, List<Row> rows, Results results) {
        StringBuilder out = new StringBuilder("# ").append(header).append('\n');
        out.append("workload\tratio\tengine\tbaseline\ttarget\tverdict\n");
        for (Row row : rows) {
            Cells c = row.evaluate(results);
            out.append(String.join("\t", row.workload(), c.ratio(), c.engine(), c.baseline(), c.target(),
                    c.verdict().name())).append('\n');
        }
        return out.toString();
    }

    /** The table, aligned, with a last line counting misses. */
    static String render(List<Row> rows, Results results) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"WORKLOAD", "RATIO", "ENGINE", "BASELINE", "TARGET", ""});
        int misses = 0;
        int missing = 0;
        int skipped = 0;
        for (Row row : rows) {
            Cells c = row.evaluate(results);
            misses += c.verdict() == Verdict.MISS ? 1 : 0;
            missing += c.verdict() == Verdict.NO_RESULT ? 1 : 0;
            skipped += c.verdict() == Verdict.SKIPPED ? 1 : 0;
            lines.add(new String[] {row.workload(), c.ratio(), c.engine(), c.baseline(), c.target(),
                c.verdict().text});
        }
        int[] width = new int[6];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] l : lines) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                String cell = i == 1 ? " ".repeat(width[i] - l[i].length()) + l[i]
                        : l[i] + " ".repeat(width[i] - l[i].length());
                line.append(cell).append(i < l.length - 1 ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        out.append(misses).append(" of ").append(rows.size()).append(" rows below target");
        if (missing > 0) {
            out.append(", ").append(missing).append(" without a result (see the log)");
        }
        if (skipped > 0) {
            out.append(", ").append(skipped).append(" skipped (see the row)");
        }
        return out.append('\n').toString();
    }
}
