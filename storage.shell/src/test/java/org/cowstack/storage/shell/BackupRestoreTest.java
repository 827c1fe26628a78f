package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.shell.backup.Backups;
import org.cowstack.storage.shell.backup.ImageRef;
import org.cowstack.storage.shell.cli.ProgressReporter;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Backups and restores through the storage commands on the real engine: a full backup
 * and 20 rounds of seeded changes with an incremental each, restored at every round to
 * the md5 of the source at that round, each incremental exactly the granules the round
 * changed; a backup failing half way (the target volume full) and a backup that
 * succeeds, under each bitmap mode, with writes arriving while it copies.
 */
class BackupRestoreTest {
    private static final long G = 64 << 10;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private MemEngine engine;
    private final BitmapCommands commands = new BitmapCommands();
    private Volume src;

    @BeforeEach
    void volumes() throws IOException {
        engine = new MemEngine();
        src = engine.mount("src", 192 * MIB);
        engine.mount("dst", 192 * MIB);
        engine.mount("bak", 192 * MIB);
        engine.mount("small", 12 * MIB);
        commands.bindManager(engine);
    }

    @AfterEach
    void close() throws IOException {
        engine.close();
    }

    private Object run(String command, String... words) throws IOException {
        CharSequence[] args = words;
        return switch (command) {
            case "bitmap" -> commands.bitmap(Sessions.empty(), args);
            case "backup" -> commands.backup(Sessions.empty(), args);
            default -> commands.restore(Sessions.empty(), args);
        };
    }

    @Test
    void twentyIncrementalsRestoreToTheSourceAtEveryRound() throws Exception {
        long seed = Seeds.seed("BackupRestoreTest.rounds");
        Random rnd = new Random(seed);
        long size = 16 * MIB;
        try (FileHandle f = open(src, "/vm.img")) {
            fill(f, rnd, 0, size);
            f.fallocate(FallocateMode.PUNCH_HOLE, 3 * MIB, 2 * MIB);
            run("bitmap", "add", "src", "/vm.img", "b0");
            BitmapCommands.BackedUp full = (BitmapCommands.BackedUp) run("backup", "src", "/vm.img", "--bitmap", "b0",
                    "--sync", "full", "--to", "file:" + dir.resolve("full.img"));
            assertEquals(size - 2 * MIB, full.bytes(), "a full backup copies the data, not the hole");
            assertEquals("", dump("b0"), "a successful full backup with on-success clears the bitmap");
            List<String> chain = new ArrayList<>(List.of("file:" + dir.resolve("full.img")));
            long totalIncremental = 0;
            for (int round = 1; round <= 20; round++) {
                TreeSet<Long> touched = new TreeSet<>();
                int ops = 1 + rnd.nextInt(6);
                for (int i = 0; i < ops; i++) {
                    change(f, rnd, touched);
                }
                String md5 = md5(f);
                long expected = bytes(touched, f.size());
                String target = round % 2 == 0 ? "volume:bak/inc" + round : "file:" + dir.resolve("inc" + round);
                BitmapCommands.BackedUp inc = (BitmapCommands.BackedUp) run("backup", "src", "/vm.img", "--bitmap",
                        "b0", "--to", target);
                System.out.printf("round %2d: %d ops, incremental %9d bytes of %9d (%5.1f%%)%n", round, ops,
                        inc.bytes(), inc.size(), 100.0 * inc.bytes() / inc.size());
                assertEquals(expected, inc.bytes(), "round " + round + ": the granules the round changed");
                totalIncremental += inc.bytes();
                chain.add(target);
                List<String> words = new ArrayList<>(List.of("dst", "/r"));
                words.addAll(chain);
                run("restore", words.toArray(new String[0]));
                try (FileHandle r = open(engine.volume("dst").orElseThrow(), "/r")) {
                    assertEquals(f.size(), r.size(), "round " + round);
                    assertEquals(md5, md5(r), "round " + round + ": restore of " + chain.size() + " images");
                }
            }
            System.out.printf("seed %d: 20 incrementals copied %d bytes in all, %.1f%% of 20 full copies%n", seed,
                    totalIncremental, 100.0 * totalIncremental / (20.0 * f.size()));
        }
    }

    /** One seeded change; the granules it changes go into {@code touched}. */
    private static void change(FileHandle f, Random rnd, TreeSet<Long> touched) throws IOException {
        long size = f.size();
        int kind = rnd.nextInt(10);
        if (kind < 6) {
            long len = 1 + rnd.nextInt(rnd.nextBoolean() ? 4096 : 300_000);
            long off = (long) (rnd.nextDouble() * (size + 256 * 1024));
            fill(f, rnd, off, len);
            mark(touched, Math.min(off, size), off + len);
        } else if (kind == 6) {
            long off = (long) (rnd.nextDouble() * size);
            long len = 1 + rnd.nextInt(500_000);
            f.fallocate(FallocateMode.PUNCH_HOLE, off, len);
            mark(touched, off, Math.min(size, off + len));
        } else if (kind == 7) {
            long to = Math.max(1, size - rnd.nextInt(1 << 20) + rnd.nextInt(1 << 20));
            f.truncate(to);
            mark(touched, Math.min(size, to), Math.max(size, to));
        } else {
            long len = (1 + rnd.nextInt(8)) * G;
            long from;
            long to;
            do { // a clone within one file may not overlap itself
                from = (rnd.nextInt((int) (size / G) - 8)) * G;
                to = (rnd.nextInt((int) (size / G) - 8)) * G;
            } while (Math.abs(from - to) < len);
            f.cloneRange(f, from, to, len);
            mark(touched, to, to + len);
        }
    }

    private static void mark(TreeSet<Long> touched, long from, long to) {
        for (long g = from / G; g * G < to; g++) {
            touched.add(g);
        }
    }

    /** Bytes of the marked granules below {@code size}. */
    private static long bytes(TreeSet<Long> granules, long size) {
        long n = 0;
        for (long g : granules) {
            if (g * G < size) {
                n += Math.min(size, (g + 1) * G) - g * G;
            }
        }
        return n;
    }

    /**
     * Writes that arrive while a backup copies (at its third piece), a backup that fails
     * half way (its target volume fills up) or succeeds, and the bitmap afterwards as
     * qemu's rule says: on-success keeps everything on failure and only the new writes on
     * success; always drops what was copied either way (keeping it as an incomplete
     * incremental that a restore chain takes); never keeps everything.
     */
    @ParameterizedTest
    @EnumSource(BitmapSync.class)
    void aBackupThatFailsHalfWayOrSucceedsLeavesTheBitmapAsQemuSays(BitmapSync mode) throws Exception {
        for (boolean fails : new boolean[] {true, false}) {
            String path = "/" + mode.label() + (fails ? "-fails" : "-succeeds");
            long size = 32 * MIB;
            try (FileHandle f = open(src, path)) {
                Random rnd = new Random(mode.ordinal());
                fill(f, rnd, 0, size);
                run("bitmap", "add", "src", path, "b");
                run("backup", "src", path, "--bitmap", "b", "--sync", "full", "--to", "volume:bak" + path + ".full");
                fill(f, rnd, 0, 24 * MIB); // the original dirty set: [0, 24 MiB)
                String before = dump("b", path);
                assertEquals("0 " + 24 * MIB, before);
                // A write at 30 MiB (not in the dirty set) and one at 0 (already copied) during the copy.
                ProgressReporter writesWhileCopying = reporterThatWritesAtPiece(3, () -> {
                    fill(f, new Random(7), 30 * MIB, 4096);
                    fill(f, new Random(8), 0, 4096);
                });
                String target = fails ? "volume:small" + path + ".inc" : "volume:bak" + path + ".inc";
                Volume small = engine.volume("small").orElseThrow();
                if (fails) {
                    assertTrue(small.space().free() < 24 * MIB, "the target cannot hold the increment");
                }
                IOException e = null;
                Backups.Result result = null;
                try {
                    result = Backups.backup(src, path, ImageRef.parse(target, n -> engine.volume(n).orElseThrow()),
                            "b", BackupSync.BITMAP, mode, writesWhileCopying);
                } catch (IOException failed) {
                    e = failed;
                }
                String after = dump("b", path);
                String during = "0 " + G + "\n" + 30 * MIB + " " + G;
                if (fails) {
                    assertTrue(e != null, mode + ": the full target volume fails the backup");
                    assertFalse(e.getMessage().contains("\n"), e.getMessage());
                    assertTrue(e.getMessage().startsWith("backup of " + path + " to " + target + " failed after "),
                            e.getMessage());
                    System.out.println(mode.label() + ", failed: " + e.getMessage());
                    if (mode == BitmapSync.ALWAYS) {
                        List<DirtyRange> left = ranges(after);
                        long copied = 24 * MIB - left.stream().mapToLong(DirtyRange::length).sum() + G;
                        assertTrue(copied > 0 && copied < 24 * MIB, mode + ": cleared of what was copied: " + after);
                        // what was copied is an incomplete incremental: full + it + the next one = the file
                        run("backup", "src", path, "--bitmap", "b", "--to", "volume:bak" + path + ".inc2");
                        run("restore", "dst", path, "volume:bak" + path + ".full", target, "volume:bak" + path
                                + ".inc2");
                        try (FileHandle r = open(engine.volume("dst").orElseThrow(), path)) {
                            assertEquals(md5(f), md5(r), "full + incomplete + next incremental restore the file");
                        }
                        small.delete(path + ".inc");
                        small.delete(path + ".inc.manifest");
                    } else {
                        assertEquals("0 " + 24 * MIB + "\n" + 30 * MIB + " " + G, after,
                                mode + ": the original plus the writes during the backup");
                        assertFalse(exists(small, path + ".inc"), "no image is left that looks finished");
                    }
                } else {
                    assertEquals(null, e);
                    assertEquals(24 * MIB, result.bytes());
                    assertEquals(mode == BitmapSync.NEVER ? "0 " + 24 * MIB + "\n" + 30 * MIB + " " + G : during, after,
                            mode + ": after a backup that succeeded");
                }
            }
        }
    }

    /** Ctrl-C (the console's cancel flag) during a backup: "interrupted", no image, the bitmap as after a failure. */
    @Test
    void aCancelledBackupLeavesTheBitmapAsAFailureWould() throws Exception {
        try (FileHandle f = open(src, "/c")) {
            run("bitmap", "add", "src", "/c", "b");
            fill(f, new Random(3), 0, 8 * MIB);
        }
        java.util.concurrent.atomic.AtomicBoolean cancel = new java.util.concurrent.atomic.AtomicBoolean();
        int[] pieces = {0};
        ProgressReporter ctrlC = new ProgressReporter(new PrintStream(PrintStream.nullOutputStream()), true, 80, cancel,
                () -> {
                    if (pieces[0]++ == 3) {
                        cancel.set(true);
                    }
                    return 0;
                });
        java.io.InterruptedIOException e = assertThrows(java.io.InterruptedIOException.class, () -> Backups.backup(src,
                "/c", ImageRef.parse("file:" + dir.resolve("c.img"), n -> engine.volume(n).orElseThrow()), "b",
                BackupSync.BITMAP, BitmapSync.ON_SUCCESS, ctrlC));
        assertEquals("interrupted", e.getMessage());
        assertFalse(Files.exists(dir.resolve("c.img")), "no image left behind");
        assertFalse(Files.exists(dir.resolve("c.img.manifest")));
        assertEquals("0 " + 8 * MIB, dump("b", "/c"), "every bit kept");
        run("backup", "src", "/c", "--bitmap", "b", "--to", "file:" + dir.resolve("c.img"));
        assertEquals("", dump("b", "/c"), "the bitmap is no longer busy: the next backup runs and clears it");
    }

    @Test
    void refusalsAreQemusSentenceOnOneLine() throws Exception {
        try (FileHandle f = open(src, "/f")) {
            fill(f, new Random(1), 0, MIB);
        }
        assertEquals("Dirty bitmap 'nope' not found", message(() -> run("backup", "src", "/f", "--bitmap", "nope",
                "--to", "file:" + dir.resolve("x"))));
        assertFalse(Files.exists(dir.resolve("x")), "a refused backup creates no image");
        assertTrue(message(() -> run("backup", "src", "/f")).startsWith("storage:backup: --to URI is required"));
        assertTrue(message(() -> run("backup", "src", "/f", "--sync", "bitmap", "--to", "file:x"))
                .startsWith("storage:backup: --sync bitmap needs --bitmap B"));
        assertTrue(message(() -> run("backup", "src", "/f", "--to", "http://x")).contains("file:PATH"));
        run("bitmap", "add", "src", "/f", "b");
        run("backup", "src", "/f", "--to", "file:" + dir.resolve("full"));
        assertTrue(message(() -> run("backup", "src", "/f", "--to", "file:" + dir.resolve("full")))
                .endsWith("exists: a backup never overwrites another; remove it or name another target"));
        assertTrue(message(() -> run("backup", "src", "/f", "--to", "volume:src/f")).endsWith("is the file being backed up"));
        assertEquals("Bitmap name cannot be empty", message(() -> run("bitmap", "add", "src", "/f", "")));
        assertEquals("Bitmap already exists: b", message(() -> run("bitmap", "add", "src", "/f", "b")));
        assertEquals("Granularity must be power of 2 and at least 512; given: --granularity 1000",
                message(() -> run("bitmap", "add", "--granularity", "1000", "src", "/f", "c")));
        assertTrue(message(() -> run("bitmap", "clear", "--granularity", "4k", "src", "/f", "b"))
                .startsWith("storage:bitmap: option --granularity is for add only; usage: storage:bitmap clear NAME"));
        assertTrue(message(() -> run("bitmap", "merge", "src", "/f", "b"))
                .startsWith("storage:bitmap: expected 4 arguments after merge, got 3; usage: storage:bitmap merge"));
        assertTrue(message(() -> run("bitmap", "frob", "src", "/f", "b")).startsWith("storage:bitmap: unknown action frob"));
        // a restore chain must start with a full backup, from one file, oldest first
        run("bitmap", "add", "src", "/f", "b2");
        try (FileHandle f = open(src, "/f")) {
            fill(f, new Random(2), 0, 4096);
        }
        run("backup", "src", "/f", "--bitmap", "b", "--to", "file:" + dir.resolve("inc"));
        assertTrue(message(() -> run("restore", "dst", "/r", "file:" + dir.resolve("inc")))
                .endsWith("a restore starts with a full backup"));
        assertTrue(message(() -> run("restore", "dst", "/r", "file:" + dir.resolve("nothing")))
                .contains("no manifest"));
        Files.writeString(dir.resolve("inc.manifest"), Files.readString(dir.resolve("inc.manifest")).replace(
                "size ", "size 1"));
        assertTrue(message(() -> run("restore", "dst", "/r", "file:" + dir.resolve("full"), "file:" + dir.resolve("inc")))
                .contains("checksum does not match"));
        assertFalse(exists(engine.volume("dst").orElseThrow(), "/r"), "a refused restore creates nothing");
    }

    private interface Call {
        void run() throws Exception;
    }

    private static String message(Call c) {
        Exception e = assertThrows(Exception.class, c::run);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private interface Step {
        void run() throws IOException;
    }

    /** A reporter whose clock runs {@code step} once, when the copy reports its {@code piece}-th piece. */
    private static ProgressReporter reporterThatWritesAtPiece(int piece, Step step) {
        int[] calls = {0};
        PrintStream nowhere = new PrintStream(PrintStream.nullOutputStream());
        return new ProgressReporter(nowhere, true, 80, null, () -> {
            // one call when the work starts, then one per piece
            if (calls[0]++ == piece) {
                try {
                    step.run();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return 0;
        });
    }

    private String dump(String bitmap) throws IOException {
        return dump(bitmap, "/vm.img");
    }

    private String dump(String bitmap, String path) throws IOException {
        Object d = run("bitmap", "dump", "src", path, bitmap);
        return d == null ? "" : d.toString();
    }

    private static List<DirtyRange> ranges(String dump) {
        List<DirtyRange> out = new ArrayList<>();
        for (String line : dump.split("\n")) {
            if (!line.isEmpty()) {
                String[] w = line.split(" ");
                out.add(new DirtyRange(Long.parseLong(w[0]), Long.parseLong(w[1])));
            }
        }
        return out;
    }

    private static boolean exists(Volume v, String path) throws IOException {
        try {
            v.stat(path);
            return true;
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    private static FileHandle open(Volume v, String path) throws IOException {
        return v.open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    private static void fill(FileHandle f, Random rnd, long offset, long length) throws IOException {
        byte[] b = new byte[(int) Math.min(length, MIB)];
        long at = offset;
        while (at < offset + length) {
            int n = (int) Math.min(b.length, offset + length - at);
            rnd.nextBytes(b);
            f.write(ByteBuffer.wrap(b, 0, n), at);
            at += n;
        }
    }

    private static String md5(FileHandle f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        ByteBuffer b = ByteBuffer.allocate((int) MIB);
        long size = f.size();
        for (long at = 0; at < size; ) {
            b.clear().limit((int) Math.min(MIB, size - at));
            int n = f.read(b, at);
            if (n <= 0) {
                break;
            }
            md.update(b.array(), 0, n);
            at += n;
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
