package org.cowstack.storage.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The table {@code bench/peers} prints: our rows from the last {@code bench/run}
 * ({@code bench-results.tsv}) beside btrfs's and XFS's ratios to the same raw baseline,
 * measured by the script with fio and xfs_io ({@code peers.tsv}).
 *
 * <p>{@code peers.tsv} holds comment lines ({@code #}) and lines
 * {@code FS<TAB>WORKLOAD<TAB>VALUE<TAB>UNIT}: FS is {@code raw} (a plain file beside the
 * loop files), {@code btrfs} or {@code xfs}; UNIT is {@code ms} (lower is better) or
 * {@code iops} (higher is better). A ratio is the file system's speed over the raw
 * file's, as in {@code bench/run}'s rows; a workload without a raw figure (reflink)
 * shows times.
 *
 * <p>{@code java -cp benchmarks.jar org.cowstack.storage.bench.Peers OURS.tsv [PEERS.tsv]}
 */
public final class Peers {
    /** A workload measured on the peers, and the regex selecting our rows of it (by workload text). */
    record Workload(String id, String label, Pattern ours) {
        Workload(String id, String label, String ours) {
            this(id, label, Pattern.compile(ours));
        }
    }

    static final List<Workload> WORKLOADS = List.of(
            new Workload("seqwrite", "sequential write 1 MiB blocks + fsync", "^sequential buffered write"),
            new Workload("coldread", "sequential read, cold cache", "^sequential read .*cold cache$"),
            new Workload("warmread", "sequential read, warm cache", "^sequential read .*warm cache$"),
            new Workload("randwrite", "random 4 KiB O_DIRECT writes", "^random 4 KiB direct writes"),
            new Workload("parallelwrite", "4 writers, 4 files + fsync each", "^4 writers"),
            new Workload("cachedread", "random 4 KiB reads, warm cache", "^random 4 KiB reads, .*warm volume cache"),
            new Workload("reflink", "reflink of a whole file (time)", "^reflink 1 GiB file, 1 extent$"),
            new Workload("dedupe", "dedupe of identical data (vs reading twice that)", "^dedupe "));

    static final List<String> PEERS = List.of("btrfs", "xfs");

    /** One measurement of {@code peers.tsv}. */
    record Measure(double value, String unit) {
        boolean time() {
            return unit.equals("ms");
        }

        /** Speed over {@code base}'s: 1.00 as fast, higher is better. */
        double ratioTo(Measure base) {
            if (!unit.equals(base.unit)) {
                throw new IllegalArgumentException("units differ: " + unit + " and " + base.unit);
            }
            return time() ? base.value / value : value / base.value;
        }

        String text() {
            return Table.number(value) + (time() ? " ms" : " IOPS");
        }
    }

    /** The contents of {@code peers.tsv}: header comments and FS -> workload -> measure. */
    record Measured(List<String> comments, Map<String, Map<String, Measure>> byFs) {
        Measure get(String fs, String workload) {
            return byFs.getOrDefault(fs, Map.of()).get(workload);
        }
    }

    /** One row of {@code bench-results.tsv}. */
    record Ours(String workload, String ratio, String engine) {
    }

    private Peers() {
    }

    static Measured parsePeers(List<String> lines) {
        List<String> comments = new ArrayList<>();
        Map<String, Map<String, Measure>> byFs = new LinkedHashMap<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                comments.add(line.substring(1).strip());
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 4 || !(f[3].equals("ms") || f[3].equals("iops"))) {
                throw new IllegalArgumentException("peers line " + n + ": " + line
                        + " (expected: FS<TAB>WORKLOAD<TAB>VALUE<TAB>ms|iops)");
            }
            double value;
            try {
                value = Double.parseDouble(f[2]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("peers line " + n + ": value " + f[2] + " is not a number");
            }
            byFs.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], new Measure(value, f[3]));
        }
        return new Measured(comments, byFs);
    }

    /** Our rows and the header comment of {@code bench-results.tsv}. */
    static List<Ours> parseOurs(List<String> lines, List<String> comments) {
        List<Ours> out = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("#")) {
                comments.add(line.substring(1).strip());
            } else if (!line.isBlank() && !line.startsWith("workload\t")) {
                String[] f = line.split("\t", -1);
                if (f.length >= 3) {
                    out.add(new Ours(f[0], f[1], f[2]));
                }
            }
        }
        return out;
    }

    /** A peer's cell: its ratio to the raw file and its own figure, or its time alone where there is no raw one. */
    static String cell(Measured m, String fs, String workload) {
        Measure own = m.get(fs, workload);
        if (own == null) {
            return "-";
        }
        Measure raw = m.get("raw", workload);
        if (raw == null) {
            return own.text();
        }
        return Table.fixed(own.ratioTo(raw)) + " (" + own.text() + ")";
    }

    /** The table: a line per workload (per our row of it), ours beside the peers; peers null prints ours alone. */
    static String render(List<Ours> ours, Measured peers) {
        List<String[]> lines = new ArrayList<>();
        lines.add(peers == null ? new String[] {"WORKLOAD", "OURS"}
                : new String[] {"WORKLOAD", "OURS", "BTRFS", "XFS", "RAW FILE"});
        for (Workload w : WORKLOADS) {
            List<Ours> mine = ours.stream().filter(o -> w.ours().matcher(o.workload()).find()).toList();
            List<String[]> ourCells = new ArrayList<>();
            for (Ours o : mine) {
                ourCells.add(new String[] {o.workload(), o.ratio().equals("-") ? o.engine() : o.ratio()});
            }
            if (ourCells.isEmpty()) {
                ourCells.add(new String[] {w.label(), "-"});
            }
            for (int i = 0; i < ourCells.size(); i++) {
                String[] c = ourCells.get(i);
                if (peers == null) {
                    lines.add(c);
                } else if (i == 0) {
                    Measure raw = peers.get("raw", w.id());
                    lines.add(new String[] {c[0], c[1], cell(peers, "btrfs", w.id()), cell(peers, "xfs", w.id()),
                        raw == null ? "-" : raw.text()});
                } else {
                    lines.add(new String[] {c[0], c[1], "", "", ""});
                }
            }
        }
        int[] width = new int[lines.get(0).length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] l : lines) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                line.append(l[i]).append(" ".repeat(width[i] - l[i].length())).append("  ");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Peers OURS.tsv [PEERS.tsv]");
            System.exit(2);
        }
        Path oursFile = Path.of(args[0]);
        List<String> comments = new ArrayList<>();
        List<Ours> ours = List.of();
        if (Files.exists(oursFile)) {
            ours = parseOurs(Files.readAllLines(oursFile), comments);
        }
        Measured peers = args.length == 2 ? parsePeers(Files.readAllLines(Path.of(args[1]))) : null;
        System.out.println("ours: " + (comments.isEmpty() ? "no bench/run results in " + oursFile
                : String.join("; ", comments) + " (" + oursFile + ")"));
        if (peers != null) {
            peers.comments().forEach(c -> System.out.println("peers: " + c));
        }
        System.out.print(render(ours, peers));
    }
}
