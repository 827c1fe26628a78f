package org.cowstack.storage.shell.backup;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.zip.CRC32C;

import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.DirtyRange;

/**
 * What a backup image holds, stored beside it as text: the file it came from (volume
 * UUID, path and inode), when, how ({@code full} or {@code bitmap} with the bitmap's
 * name), the file's size then, whether the copy finished, and the byte ranges the image
 * carries (every other byte of an incremental is the previous backup's). A backup that
 * failed with {@code --bitmap-mode always} keeps what it copied as an incomplete
 * incremental ({@code complete no}): its bitmap was cleared of exactly those ranges, so
 * the next incremental carries the rest. The last line is a CRC-32C of the lines
 * before it, so a torn or edited manifest is refused rather than restored from.
 *
 * <pre>
 * cowstack-backup 1
 * volume 0f1e...  vm
 * path /vm.img
 * inode 257
 * taken 2026-12-05T22:40:01.123Z
 * sync bitmap
 * bitmap b0
 * size 1073741824
 * complete yes
 * ranges 2
 * 0 65536
 * 1048576 131072
 * crc32c 1a2b3c4d
 * </pre>
 */
public record Manifest(UUID volume, String volumeName, String path, long inode, Instant taken, BackupSync sync,
        String bitmap, long size, boolean complete, List<DirtyRange> ranges) {
    static final String MAGIC = "cowstack-backup";
    static final int VERSION = 1;
    /** No manifest this program writes for a file of up to 2^63 bytes in 512-byte granules is near this. */
    static final long MAX_BYTES = 1L << 30;

    public Manifest {
        ranges = List.copyOf(ranges);
    }

    /** Bytes the image carries. */
    public long bytes() {
        long n = 0;
        for (DirtyRange r : ranges) {
            n += r.length();
        }
        return n;
    }

    /** The manifest as stored. */
    public String format() {
        StringBuilder s = new StringBuilder();
        s.append(MAGIC).append(' ').append(VERSION).append('\n');
        s.append("volume ").append(volume).append(' ').append(escape(volumeName)).append('\n');
        s.append("path ").append(escape(path)).append('\n');
        s.append("inode ").append(inode).append('\n');
        s.append("taken ").append(taken).append('\n');
        s.append("sync ").append(sync.label()).append('\n');
        s.append("bitmap ").append(bitmap == null ? "-" : escape(bitmap)).append('\n');
        s.append("size ").append(size).append('\n');
        s.append("complete ").append(complete ? "yes" : "no").append('\n');
        s.append("ranges ").append(ranges.size()).append('\n');
        for (DirtyRange r : ranges) {
            s.append(r.offset()).append(' ').append(r.length()).append('\n');
        }
        String crc = String.format(Locale.ROOT, "%08x", crc(s));
        return s.append("crc32c ").append(crc).append('\n').toString();
    }

    /**
     * Reads a stored manifest.
     *
     * @param where named in the error
     * @throws IOException one line naming {@code where} and what is wrong
     */
    public static Manifest parse(String where, String text) throws IOException {
        List<String> lines = List.of(text.split("\n", -1));
        Reader r = new Reader(where, lines);
        String[] head = r.words(2);
        if (!head[0].equals(MAGIC)) {
            throw r.bad("not a backup manifest");
        }
        if (!head[1].equals(Integer.toString(VERSION))) {
            throw new IOException(where + ": backup manifest version " + head[1] + ", this program reads version "
                    + VERSION);
        }
        String[] vol = r.field("volume", 2);
        UUID uuid;
        try {
            uuid = UUID.fromString(vol[0]);
        } catch (IllegalArgumentException e) {
            throw r.bad("volume " + vol[0] + " is not a UUID");
        }
        String path = unescape(r.field("path", 1)[0]);
        long inode = r.number(r.field("inode", 1)[0]);
        Instant taken;
        String t = r.field("taken", 1)[0];
        try {
            taken = Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw r.bad("taken " + t + " is not a time");
        }
        String s = r.field("sync", 1)[0];
        BackupSync sync = switch (s) {
            case "full" -> BackupSync.FULL;
            case "bitmap" -> BackupSync.BITMAP;
            default -> throw r.bad("sync " + s + " is neither full nor bitmap");
        };
        String bitmap = r.field("bitmap", 1)[0];
        long size = r.number(r.field("size", 1)[0]);
        String c = r.field("complete", 1)[0];
        if (!c.equals("yes") && !c.equals("no")) {
            throw r.bad("complete " + c + " is neither yes nor no");
        }
        long count = r.number(r.field("ranges", 1)[0]);
        List<DirtyRange> ranges = new ArrayList<>();
        long end = 0;
        for (long i = 0; i < count; i++) {
            String[] w = r.words(2);
            long off = r.number(w[0]);
            long len = r.number(w[1]);
            if (len == 0 || off < end || off + len > size || off + len < off) {
                throw r.bad("range " + off + " " + len + " is empty, out of order or past the size " + size);
            }
            ranges.add(new DirtyRange(off, len));
            end = off + len;
        }
        int crcLine = r.at;
        String[] crc = r.field("crc32c", 1);
        String before = String.join("\n", lines.subList(0, crcLine)) + "\n";
        if (!crc[0].equals(String.format(Locale.ROOT, "%08x", crc(before)))) {
            throw new IOException(where + ": the manifest's checksum does not match: it was cut short or edited");
        }
        if (r.at < lines.size() - 1 || !lines.get(lines.size() - 1).isEmpty()) {
            throw r.bad("text after the checksum");
        }
        return new Manifest(uuid, unescape(vol[1]), path, inode, taken, sync,
                bitmap.equals("-") ? null : unescape(bitmap), size, c.equals("yes"), ranges);
    }

    /** A name on one line: backslash and newline escaped ({@code -} alone stands for no bitmap). */
    static String escape(String name) {
        String e = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
        return e.equals("-") ? "\\-" : e;
    }

    static String unescape(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char n = text.charAt(++i);
                out.append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static long crc(CharSequence text) {
        CRC32C c = new CRC32C();
        c.update(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return c.getValue();
    }

    /** Line by line, with errors that name the line. */
    private static final class Reader {
        private final String where;
        private final List<String> lines;
        int at;

        Reader(String where, List<String> lines) {
            this.where = where;
            this.lines = lines;
        }

        String[] words(int n) throws IOException {
            if (at >= lines.size() || lines.get(at).isEmpty()) {
                throw new IOException(where + ": the manifest ends at line " + (at + 1) + ": it was cut short");
            }
            String[] w = lines.get(at).split(" ", n);
            if (w.length != n) {
                throw bad("expected " + n + " words");
            }
            at++;
            return w;
        }

        String[] field(String key, int values) throws IOException {
            String[] w = words(values + 1);
            if (!w[0].equals(key)) {
                at--;
                throw bad("expected " + key);
            }
            String[] v = new String[values];
            System.arraycopy(w, 1, v, 0, values);
            return v;
        }

        long number(String word) throws IOException {
            try {
                long n = Long.parseLong(word);
                if (n < 0) {
                    throw bad(word + " is negative");
                }
                return n;
            } catch (NumberFormatException e) {
                throw bad(word + " is not a number");
            }
        }

        IOException bad(String what) {
            return new IOException(where + ": line " + (at + 1) + " of the manifest: " + what);
        }
    }
}
