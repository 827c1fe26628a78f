package org.cowstack.storage.shell;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
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

/**
 * The xfs_io-style sub-commands of {@code storage:io}, so that kernel reproducers
 * translate line by line. Each runs on one open file and prints what xfs_io prints.
 */
final class IoScript {
    static final String COMMANDS = "pwrite, pread, truncate, fsync, stat, md5sum, fiemap, falloc, fpunch, fzero, "
            + "funshare, reflink, dedupe, chattr, lsattr";
    private static final int DEFAULT_BUFFER = 64 * 1024;

    private final Volume volume;
    private final FileHandle file;
    private final PrintStream out;

    /** Runs commands on {@code file}; sources of reflink and dedupe are opened on {@code volume}. */
    IoScript(Volume volume, FileHandle file, PrintStream out) {
        this.volume = volume;
        this.file = file;
        this.out = out;
    }

    /** Runs one sub-command line, such as {@code pwrite -S 0xab 0 4k}. */
    void run(String line) throws IOException {
        List<String> words = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        if (words.isEmpty() || words.get(0).isEmpty()) {
            throw new IllegalArgumentException("an empty io command; known: " + COMMANDS);
        }
        String command = words.remove(0);
        switch (command) {
            case "pwrite": pwrite(words); break;
            case "pread": pread(words); break;
            case "truncate": truncate(words); break;
            case "fsync": expectArgs(command, words, 0); file.fsync(); break;
            case "stat": expectArgs(command, words, 0); stat(); break;
            case "md5sum": expectArgs(command, words, 0); md5sum(); break;
            case "fiemap": expectArgs(command, words, 0); fiemap(); break;
            case "falloc": falloc(words); break;
            case "fpunch": range(command, words, FallocateMode.PUNCH_HOLE); break;
            case "fzero": fzero(words); break;
            case "funshare": range(command, words, FallocateMode.UNSHARE); break;
            case "reflink": remap(command, words, false); break;
            case "dedupe": remap(command, words, true); break;
            case "chattr": chattr(words); break;
            case "lsattr": expectArgs(command, words, 0); lsattr(); break;
            default:
                throw new IllegalArgumentException("unknown io command '" + command + "'; known: " + COMMANDS);
        }
    }

    private static void expectArgs(String command, List<String> args, int n) {
        if (args.size() != n) {
            throw new IllegalArgumentException(command + ": expected " + n + " argument" + (n == 1 ? "" : "s")
                    + ", got " + args.size() + " (" + String.join(" ", args) + ")");
        }
    }

    private static String option(List<String> words, String flag) {
        int i = words.indexOf(flag);
        if (i < 0) {
            return null;
        }
        if (i + 1 >= words.size()) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        String value = words.get(i + 1);
        words.remove(i + 1);
        words.remove(i);
        return value;
    }

    private static boolean flag(List<String> words, String flag) {
        return words.remove(flag);
    }

    private static void rejectUnknownOptions(String command, List<String> words) {
        for (String w : words) {
            if (w.matches("-[0-9].*")) {
                throw new IllegalArgumentException(command + ": " + w + " is negative; offsets and lengths are >= 0");
            }
            if (w.startsWith("-") && w.length() > 1) {
                throw new IllegalArgumentException(command + ": unknown option " + w);
            }
        }
    }

    static int pattern(String name, String text) throws InvalidArgumentException {
        long v = ByteSize.parse(name, text);
        if (v > 255) {
            throw new InvalidArgumentException(name, text, "a byte value 0..255 (0x00..0xff)");
        }
        return (int) v;
    }

    private void pwrite(List<String> words) throws IOException {
        String s = option(words, "-S");
        String b = option(words, "-b");
        boolean direct = flag(words, "-d");
        boolean append = flag(words, "-a");
        rejectUnknownOptions("pwrite", words);
        expectArgs("pwrite", words, 2);
        int fill = s == null ? 0xcd : pattern("pwrite -S", s);
        long offset = ByteSize.parse("pwrite offset", words.get(0));
        long length = ByteSize.parse("pwrite length", words.get(1));
        int buffer = b == null ? DEFAULT_BUFFER : (int) Math.min(Integer.MAX_VALUE, ByteSize.parse("pwrite -b", b));
        if (buffer <= 0) {
            throw new InvalidArgumentException("pwrite -b", b, "a positive buffer size");
        }
        byte[] chunk = new byte[(int) Math.min(buffer, Math.max(1, length))];
        Arrays.fill(chunk, (byte) fill);
        long written = 0;
        long at = offset;
        long first = -1;
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
        }
        out.printf("wrote %d/%d bytes at offset %d%n", written, length, append ? Math.max(first, 0) : offset);
    }

    private void pread(List<String> words) throws IOException {
        String p = option(words, "-P");
        flag(words, "-d"); // reads verify their checksums whether direct or not
        boolean verbose = flag(words, "-v");
        rejectUnknownOptions("pread", words);
        expectArgs("pread", words, 2);
        long offset = ByteSize.parse("pread offset", words.get(0));
        long length = ByteSize.parse("pread length", words.get(1));
        Integer expect = p == null ? null : pattern("pread -P", p);
        long done = 0;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(1, length)));
        while (done < length) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - done));
            int n = file.read(buf, offset + done);
            if (n <= 0) {
                break;
            }
            byte[] got = buf.array();
            if (expect != null) {
                for (int i = 0; i < n; i++) {
                    if ((got[i] & 0xff) != expect) {
                        throw new IllegalStateException(String.format(Locale.ROOT,
                                "pread: byte at offset %d is 0x%02x, expected 0x%02x", offset + done + i, got[i] & 0xff,
                                expect));
                    }
                }
            }
            if (verbose) {
                dump(got, n, offset + done);
            }
            done += n;
        }
        if (expect != null && done < length) {
            throw new IllegalStateException("pread: read " + done + "/" + length + " bytes at offset " + offset
                    + " (end of file), so not every byte is " + String.format("0x%02x", expect));
        }
        out.printf("read %d/%d bytes at offset %d%n", done, length, offset);
    }

    /** The first {@code length} bytes as a hex dump, addressed from {@code base}. */
    private void dump(byte[] bytes, int length, long base) {
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

    private void truncate(List<String> words) throws IOException {
        expectArgs("truncate", words, 1);
        file.truncate(ByteSize.parse("truncate size", words.get(0)));
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
        while (true) {
            buf.clear();
            int n = file.read(buf, at);
            if (n <= 0) {
                break;
            }
            md5.update(buf.array(), 0, n);
            at += n;
        }
        out.println(HexFormat.of().formatHex(md5.digest()) + "  " + file.path());
    }

    private void falloc(List<String> words) throws IOException {
        boolean keep = flag(words, "-k");
        range("falloc", words, keep ? FallocateMode.ALLOCATE_KEEP_SIZE : FallocateMode.ALLOCATE);
    }

    private void fzero(List<String> words) throws IOException {
        boolean keep = flag(words, "-k");
        range("fzero", words, keep ? FallocateMode.ZERO_RANGE_KEEP_SIZE : FallocateMode.ZERO_RANGE);
    }

    /** {@code OFF LEN} for one fallocate mode; silent on success, as xfs_io. */
    private void range(String command, List<String> words, FallocateMode mode) throws IOException {
        rejectUnknownOptions(command, words);
        expectArgs(command, words, 2);
        long offset = ByteSize.parse(command + " offset", words.get(0));
        long length = ByteSize.parse(command + " length", words.get(1));
        file.fallocate(mode, offset, length);
    }

    /** {@code reflink|dedupe SRC SRCOFF DSTOFF LEN}, printing what xfs_io prints. */
    private void remap(String command, List<String> words, boolean dedupe) throws IOException {
        rejectUnknownOptions(command, words);
        expectArgs(command, words, 4);
        String source = words.get(0);
        long srcOff = ByteSize.parse(command + " source offset", words.get(1));
        long dstOff = ByteSize.parse(command + " destination offset", words.get(2));
        long length = ByteSize.parse(command + " length", words.get(3));
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

    private void chattr(List<String> words) throws IOException {
        if (words.isEmpty()) {
            throw new IllegalArgumentException("chattr: expected +C, -C, +nodatasum or -nodatasum");
        }
        Set<FileFlag> add = EnumSet.noneOf(FileFlag.class);
        Set<FileFlag> remove = EnumSet.noneOf(FileFlag.class);
        for (String w : words) {
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
}
