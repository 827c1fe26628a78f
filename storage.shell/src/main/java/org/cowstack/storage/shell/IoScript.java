package org.cowstack.storage.shell;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.shell.cli.ArgSpec;
import org.cowstack.storage.shell.cli.OptionSpec;
import org.cowstack.storage.shell.cli.Progress;
import org.cowstack.storage.shell.cli.ProgressReporter;
import org.cowstack.storage.shell.cli.Values;

/**
 * The xfs_io-style sub-commands of {@code storage:io}, so that kernel reproducers
 * translate line by line. Each runs on one open file and prints what xfs_io prints.
 *
 * <p>The sub-commands are one table, {@link #TABLE}: name, options, arguments (with what
 * they complete from), arity, description and handler. Parsing ({@link #parse}),
 * {@code help storage:io} and completion read it; a new sub-command is one row.
 */
final class IoScript {
    private static final int DEFAULT_BUFFER = 64 * 1024;

    /** What a sub-command does, given the file it runs on and its parsed words. */
    @FunctionalInterface
    interface Handler {
        void run(IoScript script, IoArgs args) throws IOException;
    }

    /**
     * One row of the table.
     *
     * @param name         as typed: {@code pwrite}
     * @param options      its options ({@code -S BYTE}, {@code -d})
     * @param arguments    its positional arguments
     * @param min          fewest positional arguments
     * @param max          most positional arguments
     * @param parseOptions false for a sub-command whose arguments may start with a dash ({@code chattr -C})
     * @param description  one line for {@code help storage:io}
     * @param handler      what it does
     */
    record IoCommand(String name, List<OptionSpec> options, List<ArgSpec> arguments, int min, int max,
            boolean parseOptions, String description, Handler handler) {
        /** {@code pwrite [-S BYTE] [-d] [-a] [-b BSIZE] OFF LEN}. */
        String usage() {
            StringBuilder u = new StringBuilder(name);
            for (OptionSpec o : options) {
                u.append(" [").append(o.synopsis()).append(']');
            }
            for (ArgSpec a : arguments) {
                u.append(' ').append(a.synopsis());
            }
            return u.toString();
        }

        Optional<OptionSpec> option(String optionName) {
            return options.stream().filter(o -> o.name().equals(optionName)).findFirst();
        }

        /** The declaration of positional argument {@code index}: the repeated last one past its end. */
        Optional<ArgSpec> argumentAt(int index) {
            if (index < arguments.size()) {
                return Optional.of(arguments.get(index));
            }
            if (!arguments.isEmpty() && arguments.get(arguments.size() - 1).repeated()) {
                return Optional.of(arguments.get(arguments.size() - 1));
            }
            return Optional.empty();
        }
    }

    /** A sub-command's words: the options given (a flag maps to {@code true}) and the positional arguments. */
    record IoArgs(Map<String, String> options, List<String> args) {
        boolean flag(String name) {
            return options.containsKey(name);
        }

        String option(String name) {
            return options.get(name);
        }

        String arg(int index) {
            return args.get(index);
        }
    }

    /** A sub-command line read by {@link #parse}, ready to run. */
    record Parsed(IoCommand command, IoArgs args) {
    }

    private static final String OFF = "offset in the file (k, m, g and 0x taken)";
    private static final String LEN = "length in bytes (k, m, g and 0x taken)";

    /** Every sub-command, in the order help lists them. */
    static final List<IoCommand> TABLE = List.of(
            row("pwrite", "write LEN bytes of BYTE at OFF in BSIZE pieces; prints 'wrote LEN/LEN bytes at offset OFF'",
                    IoScript::pwrite)
                    .option("-S", "BYTE", "the byte written (default 0xcd)")
                    .flag("-d", "direct: executed as the volume's DIO strategy decides (unaligned: buffered)")
                    .flag("-a", "append (OFF is ignored)")
                    .option("-b", "BSIZE", "piece size (default 64k)")
                    .arg("OFF", OFF).arg("LEN", LEN).build(),
            row("pread", "read, every block's checksum verified; prints 'read N/LEN bytes at offset OFF'",
                    IoScript::pread)
                    .flag("-d", "accepted for xfs_io compatibility (reads verify their checksums either way)")
                    .option("-P", "BYTE", "fail at the first byte that is not BYTE")
                    .flag("-v", "dump the bytes in hex")
                    .arg("OFF", OFF).arg("LEN", LEN).build(),
            row("truncate", "set the size", IoScript::truncate).arg("SIZE", "the new size").build(),
            row("fsync", "make the file durable (a commit)", (s, a) -> s.file.fsync()).build(),
            row("stat", "print size, allocated, flags and unchecksummed bytes", (s, a) -> s.stat()).build(),
            row("md5sum", "print 'HEX  PATH' of the whole content", (s, a) -> s.md5sum()).build(),
            row("fiemap", "one line per extent: LOGICAL LENGTH PHYSICAL FLAGS, holes included",
                    (s, a) -> s.fiemap()).build(),
            row("falloc", "preallocate: holes in the range get unwritten blocks; the size grows unless -k",
                    (s, a) -> s.range("falloc", a, a.flag("-k") ? FallocateMode.ALLOCATE_KEEP_SIZE
                            : FallocateMode.ALLOCATE))
                    .flag("-k", "keep the size").arg("OFF", OFF).arg("LEN", LEN).build(),
            row("fpunch", "punch a hole: whole blocks unmapped, partial edge blocks zeroed; the size stays",
                    (s, a) -> s.range("fpunch", a, FallocateMode.PUNCH_HOLE))
                    .arg("OFF", OFF).arg("LEN", LEN).build(),
            row("fzero", "zero a range, keeping it allocated; the size grows unless -k",
                    (s, a) -> s.range("fzero", a, a.flag("-k") ? FallocateMode.ZERO_RANGE_KEEP_SIZE
                            : FallocateMode.ZERO_RANGE))
                    .flag("-k", "keep the size").arg("OFF", OFF).arg("LEN", LEN).build(),
            row("funshare", "give the range private copies of every shared block",
                    (s, a) -> s.range("funshare", a, FallocateMode.UNSHARE))
                    .arg("OFF", OFF).arg("LEN", LEN).build(),
            row("reflink", "clone LEN bytes of SRC (same volume) into this file (LEN 0: to SRC's end); prints "
                    + "'linked LEN/LEN bytes at offset DSTOFF'", (s, a) -> s.remap("reflink", a, false))
                    .arg("SRC", "source file in the same volume", Values.pathIn(0))
                    .arg("SRCOFF", "offset in SRC").arg("DSTOFF", "offset in this file").arg("LEN", LEN).build(),
            row("dedupe", "share the ranges if every byte is equal; prints 'deduped N/LEN bytes at offset DSTOFF'",
                    (s, a) -> s.remap("dedupe", a, true))
                    .arg("SRC", "source file in the same volume", Values.pathIn(0))
                    .arg("SRCOFF", "offset in SRC").arg("DSTOFF", "offset in this file").arg("LEN", LEN).build(),
            row("chattr", "set or clear NOCOW (only on an empty file) and nodatasum", IoScript::chattr)
                    .raw().repeatedArg("+C|-C|+nodatasum|-nodatasum", "the attributes",
                            Values.words("+C", "-C", "+nodatasum", "-nodatasum"))
                    .build(),
            row("lsattr", "print the flags and the path", (s, a) -> s.lsattr()).build(),
            row("mmap", "map OFF+LEN of the file (read views; -w: stores too); alone, list the mapping as "
                    + "'[000] rw- PATH (OFF : LEN) device memory|cache'", (s, a) -> s.maps.mmap(a))
                    .flag("-w", "writable: stores through the mapping (mwrite)")
                    .optionalArg("OFF", OFF).optionalArg("LEN", LEN).build(),
            row("mread", "read through the mapping's views, checked against -P; prints nothing unless -v",
                    (s, a) -> s.maps.mread(a))
                    .flag("-v", "dump the bytes in hex")
                    .option("-P", "BYTE", "fail at the first byte that is not BYTE")
                    .arg("OFF", OFF).arg("LEN", LEN).build(),
            row("mwrite", "store LEN bytes of BYTE at OFF through the mapping (a shared block is copied first)",
                    (s, a) -> s.maps.mwrite(a))
                    .option("-S", "BYTE", "the byte stored (default 0x58, 'X', as xfs_io)")
                    .arg("OFF", OFF).arg("LEN", LEN).build(),
            row("msync", "make the mapping's stores durable (in OFF+LEN, or all of it)", (s, a) -> s.maps.msync(a))
                    .optionalArg("OFF", OFF).optionalArg("LEN", LEN).build(),
            row("munmap", "unmap: its views end", (s, a) -> s.maps.munmap()).build());

    /** The names, for messages: {@code pwrite, pread, ...}. */
    static final String COMMANDS = TABLE.stream().map(IoCommand::name).collect(Collectors.joining(", "));

    private final Volume volume;
    private final FileHandle file;
    private final PrintStream out;
    private final ProgressReporter progress;
    /** The mapping of mmap ... munmap, if any. */
    final MapScript maps;

    /** Runs commands on {@code file}; sources of reflink and dedupe are opened on {@code volume}. */
    IoScript(Volume volume, FileHandle file, PrintStream out) {
        this(volume, file, out, ProgressReporter.QUIET);
    }

    /** ... with the progress reporter and cancellation of the session the commands run in. */
    IoScript(Volume volume, FileHandle file, PrintStream out, ProgressReporter progress) {
        this.volume = volume;
        this.file = file;
        this.out = out;
        this.progress = progress;
        this.maps = new MapScript(this, file, out, progress);
    }

    /** Ends what the script left open: its mapping (as a process exiting unmaps). */
    void close() throws IOException {
        maps.close();
    }

    static Optional<IoCommand> find(String name) {
        return TABLE.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Parses then runs one sub-command line, such as {@code pwrite -S 0xab 0 4k}. */
    void run(String line) throws IOException {
        run(parse(line));
    }

    void run(Parsed p) throws IOException {
        p.command().handler().run(this, p.args());
    }

    /**
     * Reads one sub-command line by its row of the table, without running it.
     *
     * @throws IllegalArgumentException one line naming the sub-command and what was wrong
     */
    static Parsed parse(String line) {
        List<String> words = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        if (words.isEmpty() || words.get(0).isEmpty()) {
            throw new IllegalArgumentException("an empty io command; known: " + COMMANDS);
        }
        String name = words.remove(0);
        IoCommand c = find(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown io command '" + name + "'; known: " + COMMANDS));
        Map<String, String> options = new LinkedHashMap<>();
        List<String> args = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            Optional<OptionSpec> o = c.parseOptions() ? c.option(w) : Optional.empty();
            if (o.isEmpty()) {
                args.add(w);
                continue;
            }
            if (options.containsKey(w)) {
                throw new IllegalArgumentException(name + ": option " + w + " given twice");
            }
            if (o.get().isFlag()) {
                options.put(w, "true");
            } else if (i + 1 >= words.size()) {
                throw new IllegalArgumentException(name + ": " + w + " needs a value (" + o.get().valueName() + ")");
            } else {
                options.put(w, words.get(++i));
            }
        }
        if (c.parseOptions()) {
            for (String w : args) {
                if (w.matches("-[0-9].*")) {
                    throw new IllegalArgumentException(name + ": " + w + " is negative; offsets and lengths are >= 0");
                }
                if (w.startsWith("-") && w.length() > 1) {
                    throw new IllegalArgumentException(name + ": unknown option " + w);
                }
            }
        }
        if (args.size() < c.min() || args.size() > c.max()) {
            int n = args.size() < c.min() ? c.min() : c.max();
            throw new IllegalArgumentException(name + ": expected " + n + " argument" + (n == 1 ? "" : "s")
                    + ", got " + args.size() + " (" + String.join(" ", args) + ")");
        }
        numbers(c, options, args);
        return new Parsed(c, new IoArgs(options, args));
    }

    /** Arguments that are byte counts, by the names the table gives them. */
    private static final Map<String, String> COUNTS = Map.of("OFF", "offset", "LEN", "length", "SIZE", "size",
            "SRCOFF", "source offset", "DSTOFF", "destination offset");

    /**
     * Reads the numbers of a sub-command line before anything runs (its handler reads them
     * again): a bad number in the third command must not leave the first two done, nor the
     * file created.
     */
    private static void numbers(IoCommand c, Map<String, String> options, List<String> args) {
        try {
            for (int i = 0; i < args.size(); i++) {
                ArgSpec spec = c.argumentAt(i).orElseThrow();
                if (COUNTS.containsKey(spec.name())) {
                    ByteSize.parse(c.name() + " " + COUNTS.get(spec.name()), args.get(i));
                }
            }
            for (Map.Entry<String, String> o : options.entrySet()) {
                String value = c.option(o.getKey()).map(OptionSpec::valueName).orElse("");
                if (value.equals("BYTE")) {
                    pattern(c.name() + " " + o.getKey(), o.getValue());
                } else if (value.equals("BSIZE")) {
                    ByteSize.parse(c.name() + " " + o.getKey(), o.getValue());
                }
            }
        } catch (InvalidArgumentException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static int pattern(String name, String text) throws InvalidArgumentException {
        long v = ByteSize.parse(name, text);
        if (v > 255) {
            throw new InvalidArgumentException(name, text, "a byte value 0..255 (0x00..0xff)");
        }
        return (int) v;
    }

    private void pwrite(IoArgs a) throws IOException {
        String s = a.option("-S");
        String b = a.option("-b");
        boolean direct = a.flag("-d");
        boolean append = a.flag("-a");
        int fill = s == null ? 0xcd : pattern("pwrite -S", s);
        long offset = ByteSize.parse("pwrite offset", a.arg(0));
        long length = ByteSize.parse("pwrite length", a.arg(1));
        int buffer = b == null ? DEFAULT_BUFFER : (int) Math.min(Integer.MAX_VALUE, ByteSize.parse("pwrite -b", b));
        if (buffer <= 0) {
            throw new InvalidArgumentException("pwrite -b", b, "a positive buffer size");
        }
        byte[] chunk = new byte[(int) Math.min(buffer, Math.max(1, length))];
        Arrays.fill(chunk, (byte) fill);
        long written = 0;
        long at = offset;
        long first = -1;
        try (Progress p = progress.startIfLarge("pwrite " + file.path(), length)) {
            p.checkpoint();
            while (written < length) {
                int n = (int) Math.min(chunk.length, length - written);
                ByteBuffer src = ByteBuffer.wrap(chunk, 0, n);
                if (append) {
                    at = file.append(src, direct);
                } else if (direct) {
                    file.writeDirect(src, at);
                } else {
                    file.write(src, at);
                }
                if (first < 0) {
                    first = at;
                }
                written += n;
                at += n;
                p.advance(n);
            }
        }
        out.printf("wrote %d/%d bytes at offset %d%n", written, length, append ? Math.max(first, 0) : offset);
    }

    private void pread(IoArgs a) throws IOException {
        String p = a.option("-P");
        boolean verbose = a.flag("-v");
        long offset = ByteSize.parse("pread offset", a.arg(0));
        long length = ByteSize.parse("pread length", a.arg(1));
        Integer expect = p == null ? null : pattern("pread -P", p);
        long done = checkedRead("pread", (dst, at) -> file.read(dst, at), offset, length, expect, verbose,
                "end of file");
        out.printf("read %d/%d bytes at offset %d%n", done, length, offset);
    }

    /** Where {@link #checkedRead} reads from: a file or a mapping. */
    @FunctionalInterface
    interface Source {
        /** Reads into {@code dst} from {@code offset}: bytes read, at most 0 at the end. */
        int read(ByteBuffer dst, long offset) throws IOException;
    }

    /**
     * Reads {@code length} bytes from {@code offset} in pieces of at most 1 MiB, with a
     * progress bar for large reads, failing at the first byte that is not {@code expect}
     * (null: no check) and, with an {@code expect}, when it ends short (at {@code end});
     * {@code verbose} dumps the bytes. Answers the bytes read.
     */
    long checkedRead(String command, Source source, long offset, long length, Integer expect, boolean verbose,
            String end) throws IOException {
        long done = 0;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(1, length)));
        try (Progress progressOf = progress.startIfLarge(command + " " + file.path(), length)) {
            progressOf.checkpoint();
            while (done < length) {
                buf.clear().limit((int) Math.min(buf.capacity(), length - done));
                int n = source.read(buf, offset + done);
                if (n <= 0) {
                    break;
                }
                byte[] got = buf.array();
                expectEvery(command, expect, got, n, offset + done);
                if (verbose) {
                    dump(out, got, n, offset + done);
                }
                done += n;
                progressOf.advance(n);
            }
        }
        if (expect != null && done < length) {
            throw new IllegalStateException(command + ": read " + done + "/" + length + " bytes at offset " + offset
                    + " (" + end + "), so not every byte is " + String.format("0x%02x", expect));
        }
        return done;
    }

    /** Fails at the first of {@code n} bytes that is not {@code expect} (null: no check); one line naming its offset. */
    static void expectEvery(String command, Integer expect, byte[] got, int n, long base) {
        if (expect == null) {
            return;
        }
        for (int i = 0; i < n; i++) {
            if ((got[i] & 0xff) != expect) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: byte at offset %d is 0x%02x, expected "
                        + "0x%02x", command, base + i, got[i] & 0xff, expect));
            }
        }
    }

    /** The first {@code length} bytes as a hex dump, addressed from {@code base}. */
    static void dump(PrintStream out, byte[] bytes, int length, long base) {
        for (int i = 0; i < length; i += 16) {
            StringBuilder hex = new StringBuilder();
            StringBuilder text = new StringBuilder();
            for (int j = i; j < Math.min(length, i + 16); j++) {
                int v = bytes[j] & 0xff;
                hex.append(String.format("%02x ", v));
                text.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
            }
            out.printf("%08x:  %-48s %s%n", base + i, hex, text);
        }
    }

    private void truncate(IoArgs a) throws IOException {
        file.truncate(ByteSize.parse("truncate size", a.arg(0)));
    }

    private void stat() throws IOException {
        FileStat st = file.stat();
        out.println("size " + st.size());
        out.println("allocated " + st.allocated());
        out.println("flags " + flags(st.flags()));
        out.println("unchecksummed " + st.unchecksummed());
    }

    /** Flags as xfs_io prints them: lower-case words, sorted, comma-separated, or {@code -}. */
    static String flags(Set<? extends Enum<?>> flags) {
        return flags.isEmpty() ? "-" : flags.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).sorted()
                .collect(Collectors.joining(","));
    }

    private void md5sum() throws IOException {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no MD5", e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long at = 0;
        try (Progress p = progress.startIfLarge("md5sum " + file.path(), file.size())) {
            p.checkpoint();
            while (true) {
                buf.clear();
                int n = file.read(buf, at);
                if (n <= 0) {
                    break;
                }
                md5.update(buf.array(), 0, n);
                at += n;
                p.advance(n);
            }
        }
        out.println(HexFormat.of().formatHex(md5.digest()) + "  " + file.path());
    }

    /** {@code OFF LEN} for one fallocate mode; silent on success, as xfs_io. */
    private void range(String command, IoArgs a, FallocateMode mode) throws IOException {
        long offset = ByteSize.parse(command + " offset", a.arg(0));
        long length = ByteSize.parse(command + " length", a.arg(1));
        file.fallocate(mode, offset, length);
    }

    /** {@code reflink|dedupe SRC SRCOFF DSTOFF LEN}, printing what xfs_io prints. */
    private void remap(String command, IoArgs a, boolean dedupe) throws IOException {
        String source = a.arg(0);
        long srcOff = ByteSize.parse(command + " source offset", a.arg(1));
        long dstOff = ByteSize.parse(command + " destination offset", a.arg(2));
        long length = ByteSize.parse(command + " length", a.arg(3));
        try (FileHandle src = volume.open(source, EnumSet.of(StandardOpenOption.READ))) {
            if (dedupe) {
                DedupeResult r = file.dedupeRange(src, srcOff, dstOff, length);
                if (r.differs()) {
                    throw new IllegalStateException("dedupe: differs: " + source + " " + srcOff + "+" + length
                            + " and " + file.path() + " " + dstOff + " are not identical; nothing was shared");
                }
                out.printf("deduped %d/%d bytes at offset %d%n", r.bytesDeduped(), length, dstOff);
            } else {
                long n = file.cloneRange(src, srcOff, dstOff, length);
                out.printf("linked %d/%d bytes at offset %d%n", n, length == 0 ? n : length, dstOff);
            }
        }
    }

    private void chattr(IoArgs a) throws IOException {
        if (a.args().isEmpty()) {
            throw new IllegalArgumentException("chattr: expected +C, -C, +nodatasum or -nodatasum");
        }
        Set<FileFlag> add = EnumSet.noneOf(FileFlag.class);
        Set<FileFlag> remove = EnumSet.noneOf(FileFlag.class);
        for (String w : a.args()) {
            FileFlag f;
            switch (w.length() > 1 ? w.substring(1) : "") {
                case "C": f = FileFlag.NOCOW; break;
                case "nodatasum": f = FileFlag.NODATASUM; break;
                default:
                    throw new IllegalArgumentException("chattr: unknown attribute " + w
                            + "; known: +C, -C, +nodatasum, -nodatasum");
            }
            if (w.charAt(0) == '+') {
                add.add(f);
            } else if (w.charAt(0) == '-') {
                remove.add(f);
            } else {
                throw new IllegalArgumentException("chattr: " + w + " needs + or - in front");
            }
        }
        file.setFlags(add, remove);
    }

    /** The attributes, as {@code stat} shows them, then the path: {@code nocow,nodatasum /f}. */
    private void lsattr() throws IOException {
        out.println(flags(file.stat().flags()) + " " + file.path());
    }

    private void fiemap() throws IOException {
        for (ExtentMapping m : file.extents(0, 0)) {
            out.println(m.logical() + " " + m.length() + " " + (m.physical() < 0 ? "-" : Long.toString(m.physical()))
                    + " " + flags(m.flags()));
        }
    }

    /** What {@code help storage:io} adds: every sub-command's usage and description. */
    static String help() {
        StringBuilder h = new StringBuilder("io commands (offsets and sizes take k, m, g and 0x):\n");
        int width = 0;
        for (IoCommand c : TABLE) {
            width = Math.max(width, c.usage().length());
        }
        for (IoCommand c : TABLE) {
            h.append(String.format("  %-" + width + "s  %s", c.usage(), c.description())).append('\n');
        }
        return h.toString().stripTrailing();
    }

    private static RowBuilder row(String name, String description, Handler handler) {
        return new RowBuilder(name, description, handler);
    }

    /** Declares one row. */
    private static final class RowBuilder {
        private final String name;
        private final String description;
        private final Handler handler;
        private final List<OptionSpec> options = new ArrayList<>();
        private final List<ArgSpec> arguments = new ArrayList<>();
        private boolean parseOptions = true;

        RowBuilder(String name, String description, Handler handler) {
            this.name = name;
            this.description = description;
            this.handler = handler;
        }

        RowBuilder flag(String flag, String text) {
            options.add(OptionSpec.flag(flag, text));
            return this;
        }

        RowBuilder option(String option, String valueName, String text) {
            options.add(OptionSpec.valued(option, valueName, text, Values.NONE));
            return this;
        }

        RowBuilder arg(String argName, String text) {
            return arg(argName, text, Values.NONE);
        }

        RowBuilder arg(String argName, String text, Values values) {
            arguments.add(new ArgSpec(argName, text, values, false, false));
            return this;
        }

        RowBuilder optionalArg(String argName, String text) {
            arguments.add(new ArgSpec(argName, text, Values.NONE, true, false));
            return this;
        }

        RowBuilder repeatedArg(String argName, String text, Values values) {
            arguments.add(new ArgSpec(argName, text, values, true, true));
            return this;
        }

        /** Its arguments may start with a dash: no options are read. */
        RowBuilder raw() {
            parseOptions = false;
            return this;
        }

        IoCommand build() {
            boolean repeated = !arguments.isEmpty() && arguments.get(arguments.size() - 1).repeated();
            int min = (int) arguments.stream().filter(a -> !a.optional()).count();
            int max = repeated ? Integer.MAX_VALUE : arguments.size();
            return new IoCommand(name, List.copyOf(options), List.copyOf(arguments), min, max, parseOptions,
                    description, handler);
        }
    }
}
