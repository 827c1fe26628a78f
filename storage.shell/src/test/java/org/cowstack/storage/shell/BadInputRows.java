package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.shell.IoScript.IoCommand;
import org.cowstack.storage.shell.cli.ArgSpec;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.OptionSpec;
import org.cowstack.storage.shell.cli.Values;

/**
 * The rows of the bad input sweep ({@link BadInputTest}): one good command line per command
 * (or per action), and from each, by what every word is (its declaration in
 * {@link Commands} or {@link IoScript#TABLE}), the same line with that one word bad.
 *
 * <p>Words of a good line may hold placeholders for the fixture's host paths: {@code {off}}
 * (a formatted image nobody mounted), {@code {empty}} (an empty file), {@code {dir}} (a
 * directory), {@code {noread}} (an image no one may read), {@code {missing}} (a path whose
 * directory does not exist), {@code {backup}} (a full backup of {@code v:/f}). A word
 * starting with {@code ~} is kept as it is. Volumes: {@code v} read-write with {@code /f}
 * (a bitmap {@code b} on it) and {@code /d}, {@code ro} mounted read-only, {@code gone}
 * mounted and unmounted again.
 */
final class BadInputRows {
    /**
     * One bad command line.
     *
     * @param spec   the command
     * @param words  its words, placeholders unexpanded
     * @param names  what the one error line must contain (placeholders unexpanded)
     * @param writes whether the images may change (no generated row may)
     */
    record Row(CommandSpec spec, List<String> words, String names, boolean writes) {
        @Override
        public String toString() {
            return spec.scoped() + " " + String.join(" ", words.stream().map(BadInputRows::shown).toList())
                    + "  -> names '" + shown(names) + "'";
        }
    }

    /** A good line; {@code writes}: it changes the volume, so on {@code ro} it must say read-only. */
    private record Good(CommandSpec spec, boolean writes, List<String> words) {
    }

    static final String LONG = "n".repeat(300);
    static final List<String> NUMBERS = List.of("-1", "18446744073709551616", "1x", "-1k", "0x", "1e9");
    static final List<String> VOLUMES = List.of("nosuch", "gone", "", "..", LONG);
    static final List<String> PATHS = List.of("", "..", "a/../b", "/nosuch/x", "/" + LONG);
    static final List<String> NEW_NAMES = List.of("", "..", "a/../b", LONG);
    static final List<String> NAMES = List.of("nosuch", "", LONG);
    static final List<String> DEVICES = List.of("file:{dir}", "file:{empty}", "file:{noread}", "file:{missing}",
            "nothing", "nosuch:x");
    /** Option values that are numbers, by the name usage lines give them. */
    private static final Set<String> NUMBER_VALUES = Set.of("SIZE", "T", "RATE", "G", "PORT", "BYTE", "BSIZE");
    private static final Set<String> NAME_VALUES = Set.of("NAME", "POLICY", "STRATEGY", "PROFILE", "MODE", "B");

    private static final List<Good> GOOD = List.of(
            good(Commands.MKFS, false, "--block-size", "4k", "--size", "4m", "--csum", "crc32c", "--data", "single",
                    "--metadata", "dup", "~file:{dir}/new.img"),
            good(Commands.MKFS, false, "file:{off}"),
            good(Commands.MOUNT, false, "--commit-interval", "30s", "--suspend-timeout", "10s", "--alloc", "first-fit",
                    "--dio", "buffered", "w", "file:{off}"),
            good(Commands.REMOUNT, false, "~--ro", "v"),
            good(Commands.UMOUNT, false, "v"),
            good(Commands.VOLUMES_COMMAND, false),
            good(Commands.DF, false, "v"),
            good(Commands.CACHE, false, "v"),
            good(Commands.SCRUB, true, "start", "--limit", "50M", "v"),
            good(Commands.SCRUB, false, "~limit", "v", "50M"),
            good(Commands.SCRUB, false, "~status", "v"),
            good(Commands.SCRUB, false, "~pause", "v"),
            good(Commands.SCRUB, false, "~resume", "v"),
            good(Commands.SCRUB, false, "~cancel", "v"),
            good(Commands.HEALTH, false, "v"),
            good(Commands.CHECK, false, "v"),
            good(Commands.LS, false, "v", "/d"),
            good(Commands.MKDIR, true, "v", "/new"),
            good(Commands.RM, true, "v", "/f"),
            good(Commands.MV, true, "v", "/f", "~/g"),
            good(Commands.MV, true, "v", "~/f", "/g"),
            good(Commands.CP, true, "v", "/f", "~/g"),
            good(Commands.CP, true, "v", "~/f", "/g"),
            good(Commands.IO, false, "v", "/f", "~stat"),
            good(Commands.OWNERS, false, "v", "1"),
            good(Commands.BITMAP, true, "add", "--granularity", "64k", "--mode", "qemu", "v", "/f", "~b2"),
            good(Commands.BITMAP, false, "~list", "v", "/f"),
            good(Commands.BITMAP, false, "~dump", "v", "/f", "b"),
            good(Commands.BITMAP, true, "~remove", "v", "/f", "b"),
            good(Commands.BITMAP, true, "~clear", "v", "/f", "b"),
            // qemu allows these on a read-only image (BDRV_BITMAP_ALLOW_RO): no read-only row
            good(Commands.BITMAP, false, "~enable", "v", "/f", "b"),
            good(Commands.BITMAP, false, "~disable", "v", "/f", "b"),
            good(Commands.BITMAP, true, "~merge", "v", "/f", "b", "~b"),
            good(Commands.BACKUP, false, "--to", "file:{dir}/b.img", "--bitmap", "b", "--sync", "bitmap",
                    "--bitmap-mode", "never", "v", "/f"),
            good(Commands.RESTORE, true, "v", "/r", "file:{backup}"),
            good(Commands.NBD, false, "~export", "--port", "10809", "~v", "~/f"),
            good(Commands.CSUM, false),
            good(Commands.ALLOC, false, "v", "first-fit"),
            good(Commands.DIO, false, "v", "buffered"),
            good(Commands.DEVICES_COMMAND, false),
            good(Commands.HELP, false, "mkfs"));

    /** One good io sub-command line per row of {@link IoScript#TABLE}, and whether it writes. */
    private static final List<String> GOOD_IO = List.of("pwrite -S 0xab -b 64k 0 4k", "pread -P 0xab 0 4k",
            "truncate 4k", "fsync", "stat", "md5sum", "fiemap", "falloc 0 4k", "fpunch 0 4k", "fzero 0 4k",
            "funshare 0 4k", "reflink /f 0 0 4k", "dedupe /f 0 0 4k", "chattr +nodatasum", "lsattr", "mmap 0 4k",
            "mread -P 0xab 0 4k", "mwrite -S 0x58 0 4k", "msync 0 4k", "munmap");
    private static final Set<String> IO_WRITES = Set.of("pwrite", "truncate", "falloc", "fpunch", "fzero",
            "funshare", "reflink", "dedupe", "chattr");

    /** Bad values the generator cannot know: misaligned numbers, where alignment matters. */
    private static final List<Row> BY_HAND = List.of(
            new Row(Commands.MKFS, List.of("--block-size", "3000", "file:{dir}/new.img"), "3000", false),
            new Row(Commands.MKFS, List.of("--block-size", "256", "file:{dir}/new.img"), "256", false),
            new Row(Commands.MKFS, List.of("--size", "1000001", "file:{dir}/new.img"), "1000001", false),
            new Row(Commands.BITMAP, List.of("add", "--granularity", "3000", "v", "/f", "b3"), "3000", false),
            new Row(Commands.BITMAP, List.of("add", "--granularity", "256", "v", "/f", "b3"), "256", false),
            new Row(Commands.MOUNT, List.of("v", "file:{off}"), "v", false),
            new Row(Commands.NBD, List.of("export", "--port", "70000", "v", "/f"), "70000", false),
            new Row(Commands.NBD, List.of("export", "--port", "1k", "v", "/f"), "1k", false),
            new Row(Commands.IO, List.of("v", "/f", "pwrite -S 256 0 1"), "256", false),
            new Row(Commands.IO, List.of("v", "/f", "pwrite -b 0 0 4k"), "-b", false),
            new Row(Commands.IO, List.of("v", "/d", "stat"), "/d", false),
            new Row(Commands.IO, List.of("ro", "/f", "mmap -w 0 4k"), "read-only", false));

    private BadInputRows() {
    }

    private static Good good(CommandSpec spec, boolean writes, String... words) {
        return new Good(spec, writes, List.of(words));
    }

    static String shown(String word) {
        return word.length() > 40 ? word.substring(0, 12) + "...(" + word.length() + " chars)" : word;
    }

    /** Every row: the by-hand ones, then per good line its bad words, argument counts and read-only volume. */
    static List<Row> all() {
        Set<Row> rows = new LinkedHashSet<>(BY_HAND);
        for (Good g : GOOD) {
            rows.addAll(badWords(g));
        }
        for (CommandSpec spec : Commands.ALL) {
            rows.addAll(counts(spec));
        }
        for (String line : GOOD_IO) {
            rows.addAll(io(line));
        }
        return new ArrayList<>(rows);
    }

    /** The good line with each of its words bad in turn. */
    private static List<Row> badWords(Good g) {
        List<Row> rows = new ArrayList<>();
        int positional = 0;
        for (int i = 0; i < g.words().size(); i++) {
            String w = g.words().get(i);
            if (w.startsWith("~")) {
                positional += CommandSpec.looksLikeOption(w.substring(1)) ? 0 : 1;
                continue;
            }
            if (CommandSpec.looksLikeOption(w)) {
                OptionSpec o = g.spec().option(w).orElseThrow(() -> new AssertionError(w));
                if (!o.isFlag()) {
                    i++;
                    for (String bad : badValues(o)) {
                        rows.add(replaced(g, i, bad));
                    }
                }
                continue;
            }
            ArgSpec a = g.spec().argumentAt(positional++).orElseThrow(() -> new AssertionError(g + " " + w));
            for (String bad : badValues(a)) {
                rows.add(replaced(g, i, bad));
            }
            if (g.writes() && a.values().kind() == Values.Kind.VOLUME) {
                rows.add(new Row(g.spec(), set(g, i, "ro"), "read-only", false));
            }
        }
        return rows;
    }

    private static Row replaced(Good g, int at, String bad) {
        return new Row(g.spec(), set(g, at, bad), names(bad), false);
    }

    /** What the line must name for a bad word: the word, or for an unknown scheme the scheme. */
    static String names(String bad) {
        return bad.equals("nosuch:x") ? "nosuch:" : bad;
    }

    private static List<String> set(Good g, int at, String word) {
        List<String> words = new ArrayList<>();
        for (String w : g.words()) {
            words.add(w.startsWith("~") ? w.substring(1) : w);
        }
        words.set(at, word);
        return words;
    }

    private static List<String> badValues(OptionSpec o) {
        if (NUMBER_VALUES.contains(o.valueName())) {
            return NUMBERS;
        }
        if (o.valueName().equals("URI")) {
            return List.of("file:{dir}", "file:{off}", "nothing");
        }
        return NAME_VALUES.contains(o.valueName()) ? NAMES : List.of();
    }

    private static List<String> badValues(ArgSpec a) {
        switch (a.values().kind()) {
            case VOLUME:
                return VOLUMES;
            case PATH:
                return PATHS;
            case DEVICE:
                return DEVICES;
            case VOLUME_OR_DEVICE: {
                List<String> both = new ArrayList<>(VOLUMES);
                both.addAll(DEVICES);
                return both;
            }
            case IO_COMMAND:
                return List.of();
            case NONE:
                switch (a.name()) {
                    case "BLOCK":
                    case "RATE":
                        return NUMBERS;
                    case "NAME":
                        return NEW_NAMES;
                    case "URI":
                        return List.of("file:{dir}", "file:{empty}", "file:{missing}", "nothing");
                    default:
                        return NAMES;
                }
            default:
                return NAMES;
        }
    }

    /** One argument too many and one too few, with the words a good line would have. */
    private static List<Row> counts(CommandSpec spec) {
        List<Row> rows = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (int i = 0; i < Math.min(spec.maxArguments(), spec.minArguments() + 3); i++) {
            words.add(i == 0 && !spec.oneOf().isEmpty() ? "v" : "a" + i);
        }
        List<String> choice = spec.oneOf().isEmpty() ? List.of() : List.of(spec.oneOf().get(0).get(0));
        if (spec.maxArguments() < Integer.MAX_VALUE) {
            List<String> more = new ArrayList<>(choice);
            more.addAll(words);
            while (more.size() - choice.size() <= spec.maxArguments()) {
                more.add("extra");
            }
            rows.add(new Row(spec, more, ", got " + (spec.maxArguments() + 1), false));
        }
        if (spec.minArguments() > 0) {
            List<String> fewer = new ArrayList<>(choice);
            fewer.addAll(words.subList(0, spec.minArguments() - 1));
            rows.add(new Row(spec, fewer, ", got " + (spec.minArguments() - 1), false));
        }
        return rows;
    }

    /** An io sub-command line with each number bad, an argument too many, and on {@code ro} when it writes. */
    private static List<Row> io(String line) {
        List<Row> rows = new ArrayList<>();
        String[] words = line.split(" ");
        IoCommand c = IoScript.find(words[0]).orElseThrow();
        int positional = 0;
        for (int i = 1; i < words.length; i++) {
            boolean option = c.option(words[i]).isPresent();
            ArgSpec a = option ? null : c.argumentAt(positional++).orElseThrow();
            if (option && c.option(words[i]).get().isFlag()) {
                continue;
            }
            int at = option ? ++i : i;
            List<String> bad = a != null && a.values().kind() == Values.Kind.PATH ? PATHS
                    : a != null && a.values().kind() == Values.Kind.WORDS ? List.of("nosuch", "+X") : NUMBERS;
            for (String b : bad) {
                String[] changed = words.clone();
                changed[at] = b;
                rows.add(ioRow("v", String.join(" ", changed), b.isEmpty() ? "expected" : b));
            }
        }
        if (c.max() < Integer.MAX_VALUE) {
            rows.add(ioRow("v", line + " 9".repeat(c.max() + 1 - positional), "expected " + c.max()));
        }
        if (IO_WRITES.contains(c.name())) {
            rows.add(ioRow("ro", line, "read-only"));
        }
        return rows;
    }

    private static Row ioRow(String volume, String line, String names) {
        return new Row(Commands.IO, List.of(volume, "/f", line), names, false);
    }
}
