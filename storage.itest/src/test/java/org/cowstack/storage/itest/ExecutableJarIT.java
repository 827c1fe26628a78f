package org.cowstack.storage.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported jar, run as a user runs it (the way ./storage does): commands with -c,
 * a script file, piped input; exit status and output checked. On every JDK found here
 * (Java 17 always; 21 and 25 where installed).
 */
class ExecutableJarIT {
    private static final long TIMEOUT_S = 120;

    @TempDir
    Path home;

    record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
        }
    }

    /** The JDKs to run on: this one, and any other 17+ found under /usr/lib/jvm. */
    static Stream<String> javas() {
        List<String> javas = new ArrayList<>();
        javas.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        File[] installed = new File("/usr/lib/jvm").listFiles();
        if (installed != null) {
            for (File jdk : installed) {
                File java = new File(jdk, "bin/java");
                if (java.canExecute() && !javas.contains(java.getPath())
                        && !Files.isSymbolicLink(jdk.toPath()) && jdk.getName().matches(".*-(21|25)[-.].*")) {
                    javas.add(java.getPath());
                }
            }
        }
        return javas.stream();
    }

    private Run run(String java, String stdin, String... args) throws Exception {
        return finish(start(java, home, home, args), stdin);
    }

    /**
     * Starts the jar as ./storage does: STORAGE_HOME in the environment (none: the
     * variable is removed), in the working directory {@code cwd}.
     */
    static Process start(String java, Path storageHome, Path cwd, String... args) throws Exception {
        Path jar = Path.of(System.getProperty("storage.jar"));
        assertTrue(Files.isRegularFile(jar), "the exported jar exists: " + jar);
        List<String> command = new ArrayList<>(List.of(java));
        if (feature(java) >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile());
        if (storageHome == null) {
            builder.environment().remove("STORAGE_HOME");
        } else {
            builder.environment().put("STORAGE_HOME", storageHome.toString());
        }
        return builder.start();
    }

    static Run finish(Process p, String stdin) throws Exception {
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the jar did not exit within " + TIMEOUT_S + " s: " + p.info().commandLine());
        }
        return new Run(p.exitValue(), out.get(), err.get());
    }

    static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static int feature(String java) throws Exception {
        Process p = new ProcessBuilder(java, "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
        String settings = read(p.getInputStream());
        p.waitFor(60, TimeUnit.SECONDS);
        return settings.lines().map(String::strip).filter(l -> l.startsWith("java.specification.version = "))
                .map(l -> Integer.parseInt(l.substring(l.indexOf('=') + 1).strip().split("\\.")[0]))
                .findFirst().orElse(17);
    }

    @ParameterizedTest
    @MethodSource("javas")
    void listsEveryBundleActiveAndTheStorageServices(String java) throws Exception {
        Run r = run(java, null, "-c", "lb; storage:csum; storage:devices");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err().strip(), "nothing on stderr (no warnings, no traces) on " + java);
        for (String name : List.of("Apache Felix Declarative Services", "Apache Felix Configuration Admin Service",
                "Apache Felix Gogo Runtime", "Apache Felix Gogo JLine Shell", "Apache Felix Gogo Command",
                "storage.api", "storage.csum", "storage.device", "storage.dax", "storage.alloc", "storage.dio", "storage.cow",
                "storage.shell", "storage.launcher")) {
            assertTrue(r.out().lines().anyMatch(l -> l.contains("|Active ") && l.contains(name)),
                    name + " is Active in:\n" + r.out());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.contains("|Resolved ") && l.contains("storage.console")),
                "the console profile fragment is resolved");
        List<String> csum = r.out().lines().filter(l -> l.matches("(crc32c|xxhash64|sha256|blake2b) .*"))
                .map(l -> l.split(" +")[0] + " " + l.split(" +")[1]).collect(Collectors.toList());
        assertEquals(List.of("crc32c 0", "xxhash64 1", "sha256 2", "blake2b 3"), csum);
        List<String> schemes = r.out().lines().filter(l -> l.matches("(dax|faulty|file|mem) +storage\\..*"))
                .map(l -> l.split(" +")[0]).collect(Collectors.toList());
        assertEquals(List.of("dax", "faulty", "file", "mem"), schemes);
    }

    @Test
    void aFailingCommandPrintsOneErrorLineExitsOneAndStopsThere() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Run r = run(java, null, "-c", "storage:csum; storage:nosuch; storage:devices");
        assertEquals(1, r.status());
        assertEquals(List.of("error: command not found: storage:nosuch"), r.errLines());
        assertTrue(r.out().contains("crc32c"), "the command before the failure ran");
        assertFalse(r.out().contains("SCHEME"), "nothing after the failure ran");

        Run bad = run(java, null, "-c", "storage:csum nonsense-argument");
        assertEquals(1, bad.status());
        assertEquals(1, bad.errLines().size(), bad.err());
        assertTrue(bad.errLines().get(0).startsWith("error: "), bad.err());
    }

    /** storage:check's verdict is the exit status: 0 clean, 1 with the report printed and one error line. */
    @Test
    void aCheckThatFindsProblemsPrintsThemAndExitsOne() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Run ok = run(java, null, "-c", "storage:mkfs --size 16m file:check.img; storage:check file:check.img");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("clean: generation "), ok.out());

        // the first metadata nodes (both copies) lie just past the 256 KiB reserved area: zero them
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(home.resolve("check.img").toFile(), "rw")) {
            f.seek(256 << 10);
            f.write(new byte[768 << 10]);
        }
        Run bad = run(java, null, "-c", "storage:check file:check.img");
        assertEquals(1, bad.status(), bad.out());
        assertEquals(1, bad.errLines().size(), bad.err());
        assertTrue(bad.errLines().get(0).matches("error: file:check\\.img: check found \\d+ problems?"), bad.err());
        assertTrue(bad.out().matches("(?s)(.*\n)?\\d+ problems?: generation \\d+, .*"), bad.out());
    }

    @Test
    void scriptFilesAndPipedInputRunLikeCommandLines() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Files.writeString(home.resolve("ok.gosh"), "# a comment\nstorage:csum\n\nstorage:devices\n");
        Run ok = run(java, null, "ok.gosh");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("crc32c") && ok.out().contains("dax"), ok.out());

        Files.writeString(home.resolve("bad.gosh"), "storage:csum\nstorage:oops\nstorage:devices\n");
        Run bad = run(java, null, "bad.gosh");
        assertEquals(1, bad.status());
        assertEquals(List.of("error: bad.gosh:2: command not found: storage:oops"), bad.errLines());

        Run piped = run(java, "storage:devices\nstorage:csum\n");
        assertEquals(0, piped.status(), piped.err());
        assertTrue(piped.out().contains("SCHEME") && piped.out().contains("blake2b"), piped.out());

        // exit is Gogo's system:exit: its status is the process's, and leaving is not an error.
        Run exits = run(java, "storage:csum\nexit 3\nstorage:devices\n");
        assertEquals(3, exits.status(), exits.err());
        assertEquals(List.of(), exits.errLines());
        assertTrue(exits.out().contains("crc32c") && !exits.out().contains("SCHEME"), exits.out());
        Run quits = run(java, null, "-c", "storage:csum; exit 0");
        assertEquals(0, quits.status(), quits.err());
        assertEquals(List.of(), quits.errLines());

        Run missing = run(java, null, "no-such.gosh");
        assertEquals(1, missing.status());
        assertEquals(List.of("error: no such script file: no-such.gosh"), missing.errLines());
    }

    @Test
    void allStateStaysInStorageHomeWithTheDefaultVolume() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Run r = run(java, null, "-c", "storage:io default /hello 'pwrite 0 4k' 'md5sum'");
        assertEquals(0, r.status(), r.err());
        assertEquals("wrote 4096/4096 bytes at offset 0\n5fed275e7617a806f94c173746a2a723  /hello\n", r.out());
        assertTrue(Files.isDirectory(home.resolve("framework")), "framework cache under STORAGE_HOME");
        assertTrue(Files.size(home.resolve("volumes/default.img")) == 1L << 30, "a 1 GiB sparse default volume");
        assertEquals(List.of("config", "framework", "lock", "volumes"), Files.list(home)
                .map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()),
                "nothing else written to STORAGE_HOME");
        Run again = run(java, null, "-c", "storage:io default /hello 'md5sum'");
        assertEquals("5fed275e7617a806f94c173746a2a723  /hello\n", again.out(), "the default volume persists");
    }

    @Test
    void aVolumeWrittenByOneProcessReadsTheSameInTheNext() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Run first = run(java, null, "-c", "storage:mkfs --size 64m file:v.img; storage:mount v file:v.img; "
                + "storage:io v /a 'pwrite 0 1m' 'fsync' 'md5sum'");
        assertEquals(0, first.status(), first.err());
        // md5sum(1) of 1 MiB of 0xcd
        assertTrue(first.out().endsWith("wrote 1048576/1048576 bytes at offset 0\n"
                + "ca539970d4b1fa1f34213ba675007381  /a\n"), first.out());
        Run second = run(java, null, "-c", "storage:mount v file:v.img; storage:io v /a 'md5sum' 'stat'");
        assertEquals(0, second.status(), second.err());
        assertTrue(second.out().endsWith("ca539970d4b1fa1f34213ba675007381  /a\nsize 1048576\n"
                + "allocated 1048576\nflags -\nunchecksummed 0\n"), second.out());
        Run refused = run(java, null, "-c", "storage:mount w file:nothing-here.img");
        assertEquals(1, refused.status());
        assertEquals(1, refused.errLines().size(), refused.err());
        assertTrue(refused.errLines().get(0).contains("nothing-here.img"), refused.err());
    }

    /**
     * Issue 6: volumes are configuration, like an fstab. Three volumes configured through
     * the shell with different policies in one process are mounted, with those policies,
     * by the next process, without a mount command.
     */
    @Test
    void volumesConfiguredThroughTheShellAreMountedAgainAfterARestart() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Run first = run(java, null, "-c", "storage:mkfs --size 16m file:a.img; "
                + "storage:mkfs --size 16m --csum xxhash64 file:b.img; storage:mkfs --size 16m --csum sha256 file:c.img; "
                + "storage:mount --alloc best-fit a file:a.img; storage:mount --dio verify b file:b.img; "
                + "storage:mount --alloc next-fit --dio bounce --commit-interval 5s c file:c.img; "
                + "storage:alloc c first-fit; storage:io a /f 'pwrite -S 0x42 0 64k'");
        assertEquals(0, first.status(), first.err());
        Run second = run(java, null, "-c", "storage:volumes; storage:alloc a; storage:dio a; storage:alloc b; "
                + "storage:dio b; storage:alloc c; storage:dio c; storage:io a /f 'pread -P 0x42 0 64k'");
        assertEquals(0, second.status(), second.err());
        List<String> rows = second.out().lines().filter(l -> l.matches("(a|b|c|default) +.*"))
                .map(l -> String.join(" ", Arrays.copyOf(l.split(" {2,}"), 4))).collect(Collectors.toList());
        assertEquals(List.of("a file:a.img MOUNTED crc32c", "b file:b.img MOUNTED xxhash64", "c file:c.img MOUNTED sha256",
                "default file:" + home.resolve("volumes/default.img") + " MOUNTED crc32c"), rows, second.out());
        assertTrue(second.out().contains("a: allocates with best-fit\na: direct writes use buffered\n"
                + "b: allocates with first-fit\nb: direct writes use verify\n"
                + "c: allocates with first-fit\nc: direct writes use bounce\n"
                + "read 65536/65536 bytes at offset 0"), second.out());
        Run third = run(java, null, "-c", "storage:umount b; storage:volumes");
        assertEquals(0, third.status(), third.err());
        Run fourth = run(java, null, "-c", "storage:volumes");
        assertFalse(fourth.out().lines().anyMatch(l -> l.startsWith("b ")), "b was unmounted for good: " + fourth.out());
    }

    /**
     * Issue 20: exports are configuration too. An export made in one process (with an
     * exported bitmap) is served by the next one without a command, and its bitmap is
     * busy there again, whichever of the volume and the export came up first.
     */
    @Test
    void nbdExportsAreServedAgainAfterARestart() throws Exception {
        String java = javas().findFirst().orElseThrow();
        int port = Programs.freePort();
        Run first = run(java, null, "-c", "storage:mkfs --size 16m file:n.img; storage:mount n file:n.img; "
                + "storage:io n /vm 'truncate 1m'; storage:bitmap add n /vm b0; "
                + "storage:nbd export --port " + port + " --bitmap b0 n /vm");
        assertEquals(0, first.status(), first.err());
        Run second = run(java, null, "-c", "storage:nbd list; storage:bitmap clear n /vm b0");
        assertTrue(second.out().lines().anyMatch(l -> l.matches("vm +n +/vm +127\\.0\\.0\\.1:" + port + " +- +serving.*")),
                second.out());
        assertEquals(1, second.status(), second.out());
        assertTrue(second.err().contains("in use"), second.err());
    }

    /** Issue 15: java -jar without STORAGE_HOME keeps everything in ./data of the working directory. */
    @Test
    void withoutStorageHomeAllStateGoesToDataInTheWorkingDirectory() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Run r = finish(start(java, null, home, "-c", "storage:volumes"), null);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("file:" + home.resolve("data/volumes/default.img") + " "), r.out());
        assertEquals(List.of("data"), Files.list(home).map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        assertEquals(List.of("config", "framework", "lock", "volumes"), Files.list(home.resolve("data"))
                .map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
    }

    /**
     * Issue 15: one process per STORAGE_HOME. Two processes started together, ten times:
     * one runs, the other says who has the home in one line and exits 1, having touched
     * nothing (the winner waits on its piped input until the loser is gone, so the two
     * always overlap).
     */
    @Test
    void twoProcessesStartedTogetherOnOneHomeOneRunsTheOtherIsRefused() throws Exception {
        String java = javas().findFirst().orElseThrow();
        assertEquals(0, run(java, null, "-c", "storage:volumes").status(), "the home is set up");
        for (int round = 1; round <= 10; round++) {
            Process a = start(java, home, home);
            Process b = start(java, home, home);
            CompletableFuture<Process> first = CompletableFuture.anyOf(a.onExit(), b.onExit())
                    .thenApply(Process.class::cast);
            Process loser = first.get(TIMEOUT_S, TimeUnit.SECONDS);
            Process winner = loser == a ? b : a;
            assertTrue(winner.isAlive(), "round " + round + ": one process runs on");
            Run refused = finish(loser, null);
            assertEquals(1, refused.status(), "round " + round + ": " + refused.err());
            assertEquals(List.of("STORAGE_HOME " + home + " is in use by process " + winner.pid()), refused.errLines(),
                    "round " + round);
            assertEquals("", refused.out(), "round " + round);
            Run ran = finish(winner, "storage:io default /round 'pwrite 0 4k'\n");
            assertEquals(0, ran.status(), "round " + round + ": " + ran.err());
            assertEquals("wrote 4096/4096 bytes at offset 0\n", ran.out(), "round " + round);
        }
    }

    /**
     * Issue 21: an image open read-write in one process (its own STORAGE_HOME) is refused by a
     * second process with another home, by the file lock of the file device: mount, mkfs and
     * check each say so in one line and exit 1, and the image is as the first left it.
     */
    @Test
    void anImageOpenInOneProcessIsRefusedToAProcessWithAnotherHome() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Path image = home.resolve("shared.img");
        Process a = start(java, home.resolve("a"), home);
        try (var in = a.getOutputStream()) {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
            in.write(("storage:mkfs --size 16m file:" + image + "\nstorage:mount v file:" + image
                    + "\nstorage:io v /a 'pwrite 0 64k' 'fsync' 'md5sum'\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            awaitLine(out, l -> l.endsWith("  /a"));
            String md5 = md5(image);
            for (String command : List.of("storage:mount v file:" + image, "storage:mkfs file:" + image,
                    "storage:check file:" + image)) {
                Run refused = finish(start(java, home.resolve("b"), home, "-c", command), null);
                assertEquals(1, refused.status(), command + ": " + refused.err());
                assertEquals(1, refused.errLines().size(), command + ": " + refused.err());
                String line = refused.errLines().get(0);
                assertTrue(line.contains(image.toString()) && line.contains("file lock"), command + ": " + line);
                assertFalse(line.contains("Exception") || line.contains("\tat "), line);
                assertEquals(md5, md5(image), command + " left the image as it was");
            }
        }
        assertEquals(0, finish(a, null).status());
    }

    /**
     * Issue 21: kill -9 in the middle of a large write leaves a volume that mounts (in the
     * next process, from the configuration the first recorded) at its last commit.
     */
    @Test
    void killNineInALargeWriteLeavesTheVolumeAtItsLastCommit() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Process a = start(java, home, home);
        var in = a.getOutputStream();
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
        in.write(("storage:mkfs --size 512m file:big.img\nstorage:mount v file:big.img\n"
                + "storage:io v /a 'pwrite -S 0x11 0 1m' 'fsync' 'md5sum'\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        String committed = awaitLine(out, l -> l.endsWith("  /a"));
        Path image = home.resolve("big.img");
        long before = allocatedKiB(image);
        in.write("storage:io v /big 'pwrite -b 1m 0 400m' 'fsync'\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        // killed once the write is under way on the device (32 MiB of the 400 written back), not after a
        // fixed time, which a fast machine spends finishing the write and its fsync
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (allocatedKiB(image) < before + 32 * 1024 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(a.isAlive(), "still writing");
        a.destroyForcibly(); // SIGKILL
        assertTrue(a.waitFor(TIMEOUT_S, TimeUnit.SECONDS));
        try {
            in.close();
        } catch (IOException broken) {
            // the pipe of a killed process
        }
        Run next = run(java, null, "-c", "storage:ls v; storage:io v /a 'md5sum'; storage:check v");
        assertEquals(0, next.status(), next.out() + next.err());
        assertFalse(next.out().lines().anyMatch(l -> l.matches("big +file +419430400 .*")),
                "killed before the write and its fsync were done: " + next.out());
        assertTrue(next.out().contains(committed + "\n"), "the file committed before the kill: " + next.out());
        assertTrue(next.out().contains("clean: generation "), next.out());
    }

    /** Reads lines until one matches: that line (the process must print it within the timeout). */
    private static String awaitLine(java.io.BufferedReader out, java.util.function.Predicate<String> wanted)
            throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l = out.readLine(); l != null; l = out.readLine()) {
                    if (wanted.test(l)) {
                        return l;
                    }
                }
                throw new AssertionError("the process ended before the line");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return line.get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** KiB the file occupies on its disk ({@code du -k}): what the volume has written into a sparse image. */
    private static long allocatedKiB(Path file) throws Exception {
        Process p = new ProcessBuilder("du", "-k", file.toString()).redirectErrorStream(true).start();
        String out = read(p.getInputStream());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "du " + file + ": " + out);
        return Long.parseLong(out.strip().split("\\s+")[0]);
    }

    private static String md5(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                .digest(Files.readAllBytes(file)));
    }

    /** The id lb gives a bundle, by its symbolic name. */
    private String bundleId(String java, String symbolicName) throws Exception {
        Run lb = run(java, null, "-c", "lb -s");
        assertEquals(0, lb.status(), lb.err());
        return lb.out().lines().filter(l -> l.matches(" *\\d+\\|.*\\|" + Pattern.quote(symbolicName) + " .*"))
                .map(l -> l.substring(0, l.indexOf('|')).strip()).findFirst()
                .orElseThrow(() -> new AssertionError(symbolicName + " in:\n" + lb.out()));
    }

    /**
     * Issue 15: update ID works in the shipped jar, whose bundles the bnd launcher installs
     * from locations inside it (jar/storage.csum-...jar, no URL): from the jar's entry, or
     * from a URL given; the volume mounted on the updated checksum stays MOUNTED.
     */
    @Test
    void updateOfABundleInsideTheJarKeepsTheVolumeMounted() throws Exception {
        String java = javas().findFirst().orElseThrow();
        String csum = bundleId(java, "storage.csum");
        Run write = run(java, null, "-c", "storage:io default /f 'pwrite 0 64k'");
        assertEquals(0, write.status(), write.err());
        Run updated = run(java, null, "-c", "update " + csum + "; storage:volumes; storage:io default /f md5sum");
        assertEquals(0, updated.status(), updated.err());
        assertEquals("", updated.err());
        assertTrue(updated.out().lines().anyMatch(l -> l.matches("default +file:.* +MOUNTED +crc32c .*")), updated.out());
        assertTrue(updated.out().contains("  /f"), updated.out());
        Path built = Path.of(System.getProperty("storage.bundles"), "storage.csum.jar");
        Run fromUrl = run(java, null, "-c", "update storage.csum " + built.toUri() + "; lb -l storage.csum; storage:volumes");
        assertEquals(0, fromUrl.status(), fromUrl.err());
        assertTrue(fromUrl.out().lines().anyMatch(l -> l.matches("default +file:.* +MOUNTED +crc32c .*")), fromUrl.out());
    }

    /**
     * Issue 15: Felix's bundle commands fail like commands: exit 1, one line naming the
     * bundle, nothing after them runs (gogo.command's printed and the run exited 0).
     */
    @Test
    void failingBundleCommandsEndTheRunWithOneLineNamingTheBundle() throws Exception {
        String java = javas().findFirst().orElseThrow();
        Path missing = home.resolve("no-such-bundle.jar");
        for (String[] c : new String[][] {
                {"stop 9999", "error: stop 9999: no such bundle"},
                {"start 9999", "error: start 9999: no such bundle"},
                {"update 9999", "error: update 9999: no such bundle"},
                {"uninstall 9999", "error: uninstall 9999: no such bundle"},
                {"felix:stop nosuch.bundle", "error: stop nosuch.bundle: no such bundle"},
                {"install " + missing, "error: install " + missing + ": "}}) {
            Run r = run(java, null, "-c", c[0] + "; storage:csum");
            assertEquals(1, r.status(), c[0] + ": " + r.err());
            assertEquals(1, r.errLines().size(), c[0] + ": " + r.err());
            assertTrue(r.errLines().get(0).startsWith(c[1]), c[0] + ": " + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
            assertEquals("", r.out(), c[0] + ": nothing after the failure runs");
        }
        Run both = run(java, null, "-c", "stop 9999 storage.dax");
        assertEquals(1, both.status());
        assertEquals(List.of("error: stop 9999: no such bundle"), both.errLines());
        Run caught = run(java, null, "-c", "try { stop 9999 storage.dax } { echo ($exception message) }; lb storage.dax");
        assertEquals(0, caught.status(), caught.err());
        assertTrue(caught.out().startsWith("stop 9999: no such bundle\n"), caught.out());
        assertTrue(caught.out().lines().anyMatch(l -> l.contains("|Resolved ") && l.contains("storage.dax")),
                "the other bundle was stopped all the same: " + caught.out());
    }
}
