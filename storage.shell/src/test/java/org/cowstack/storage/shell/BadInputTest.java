package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.shell.BadInputRows.Row;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input to every storage command and every {@code storage:io} sub-command, on the real
 * engine with image files ({@link BadInputRows} makes the rows): each is refused with one
 * line that names the bad input, as the executable prints it (no stack trace: only the
 * failures a user causes, never an internal error), nothing on standard output or error, and every
 * image and the host directory as they were.
 */
class BadInputTest {
    /** Java class names or exception names in a message. */
    private static final Pattern JAVA = Pattern.compile("\\b(java|javax|org|com)\\.[a-z]+\\.|Exception|\\tat |"
            + "Cannot coerce");
    private static final long IMAGE = 2 << 20;

    @TempDir
    static Path dir;
    private static RealEngine engine;
    private static Object[] components;
    private static Map<String, String> places;
    private static boolean root;

    private static int rows;
    private static int stackTraces;
    private static int unclear;
    private static int imagesChecked;
    private static final List<String> skipped = new ArrayList<>();
    /** Every row with the line it got, written to {@link #LINES} for reading. */
    private static final List<String> lines = new ArrayList<>();
    private static final Path LINES = Path.of("target", "bad-input-sweep.txt");

    @BeforeAll
    static void volumes() throws Throwable {
        engine = new RealEngine();
        components = new Object[] {new VolumeCommands(), new FileCommands(), new PolicyCommands(),
            new ChecksumCommands(), new DeviceCommands(), new HelpCommand(), new BitmapCommands(),
            new ScrubCommands(), new CheckCommands(), new NbdCommands(), new S3Commands()};
        for (Object c : components) {
            for (java.lang.reflect.Method m : c.getClass().getDeclaredMethods()) {
                if (m.getName().equals("bindManager")) {
                    m.setAccessible(true);
                    m.invoke(c, engine.manager());
                }
            }
        }
        places = new LinkedHashMap<>();
        places.put("{dir}", dir.toString());
        places.put("{off}", dir.resolve("off.img").toString());
        places.put("{empty}", dir.resolve("empty.img").toString());
        places.put("{noread}", dir.resolve("noread.img").toString());
        places.put("{missing}", dir.resolve("missing/x.img").toString());
        places.put("{backup}", dir.resolve("full.img").toString());
        for (String image : List.of("v", "ro", "off", "gone", "noread")) {
            shell(Commands.MKFS, "--size", Long.toString(IMAGE), "file:" + dir.resolve(image + ".img"));
        }
        Files.createFile(dir.resolve("empty.img"));
        shell(Commands.MOUNT, "ro", "file:" + dir.resolve("ro.img"));
        shell(Commands.IO, "ro", "/f", "pwrite -S 0xab 0 64k");
        shell(Commands.BITMAP, "add", "ro", "/f", "b");
        shell(Commands.UMOUNT, "ro");
        shell(Commands.MOUNT, "--ro", "ro", "file:" + dir.resolve("ro.img"));
        shell(Commands.MOUNT, "gone", "file:" + dir.resolve("gone.img"));
        shell(Commands.UMOUNT, "gone");
        shell(Commands.MOUNT, "v", "file:" + dir.resolve("v.img"));
        shell(Commands.IO, "v", "/f", "pwrite -S 0xab 0 64k");
        shell(Commands.MKDIR, "v", "/d");
        shell(Commands.BITMAP, "add", "v", "/f", "b");
        shell(Commands.BACKUP, "--to", "file:" + places.get("{backup}"), "v", "/f");
        Path noread = dir.resolve("noread.img");
        Files.setPosixFilePermissions(noread, PosixFilePermissions.fromString("---------"));
        root = Files.isReadable(noread);
        assertEquals(Set.of("v", "ro"), mounted());
        // the check sees a write: the committed image of v differs after one
        Row probe = new Row(Commands.IO, List.of("v", "/probe", "pwrite 0 4k"), "", true);
        Map<String, String> before = images(probe);
        shell(Commands.IO, "v", "/probe", "pwrite 0 4k");
        assertNotEquals(before.get("v"), images(probe).get("v"), "a write changes the image checked");
        shell(Commands.RM, "v", "/probe");
    }

    @AfterAll
    static void figures() throws IOException {
        if (engine != null) {
            engine.close();
        }
        if (Files.isDirectory(LINES.getParent())) {
            Files.write(LINES, lines);
        }
        System.out.println("bad input sweep: " + rows + " rows, " + stackTraces + " stack traces, " + unclear
                + " unclear, " + imagesChecked + " images checked unchanged (each row and its line: " + LINES + ")");
        if (!skipped.isEmpty()) {
            System.out.println("bad input sweep: skipped " + skipped.size() + " rows on an unreadable file (the tests "
                    + "run as root, whom chmod 000 does not stop): " + skipped);
        }
    }

    private static Object shell(CommandSpec spec, String... words) throws Throwable {
        return Gogo.run(components, session(), spec, List.of(words));
    }

    /** A session whose Gogo knows the storage commands and no others (help looks there). */
    private static org.apache.felix.service.command.CommandSession session() {
        return Sessions.with(Map.of(".commands", new TreeSet<>(Commands.ALL.stream().map(CommandSpec::scoped).toList())));
    }

    private static Set<String> mounted() {
        Set<String> names = new TreeSet<>();
        engine.manager().volumes().forEach(v -> names.add(v.name()));
        return names;
    }

    static Stream<Row> rows() {
        return BadInputRows.all().stream();
    }

    @ParameterizedTest
    @MethodSource("rows")
    void badInputIsOneLineNamingItAndChangesNothing(Row row) throws Exception {
        List<String> words = row.words().stream().map(BadInputTest::expand).toList();
        if (root && String.join(" ", row.words()).contains("{noread}")) {
            skipped.add(row.toString());
            return;
        }
        rows++;
        Map<String, String> before = images(row);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Throwable failure = null;
        Object result = null;
        // both streams into one: a stack trace printed on stderr is caught too
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        System.setErr(System.out);
        try {
            result = Gogo.run(components, session(), row.spec(), words);
        } catch (Throwable e) {
            failure = e;
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        Set<String> volumes = mounted();
        Map<String, String> after = images(row);
        restore(volumes);
        if (failure == null) {
            unclear++;
            fail(row + ": accepted, answered " + result);
        }
        String line = ErrorLine.of(failure);
        lines.add(row + "\n    " + line);
        String stdout = printed.toString(StandardCharsets.UTF_8);
        if (ErrorLine.internal(failure) || stdout.contains("\tat ")) {
            stackTraces++;
            failure.printStackTrace(out);
            fail(row + ": an internal error, with a stack trace in the log: " + line);
        }
        // qemu's bitmap messages say "readonly", as qemu does
        String names = expand(row.names());
        line = names.equals("read-only") ? line.replace("readonly", "read-only") : line;
        boolean named = names.isEmpty() ? line.contains("''") || line.contains("empty") : line.contains(names)
                || names.startsWith("file:") && line.contains(names.substring(5));
        if (!named || line.strip().equals(names) || line.contains("\n") || JAVA.matcher(line).find()
                || !stdout.isEmpty()) {
            unclear++;
            fail(row + ": " + (named ? "" : "does not name it; ") + "says: " + line
                    + (stdout.isEmpty() ? "" : " after printing: " + stdout));
        }
        assertEquals(Set.of("v", "ro"), volumes, row + ": the volumes mounted");
        if (!row.writes()) {
            assertEquals(before, after, row + ": images and host files unchanged");
            imagesChecked += before.size() - 1;
        }
    }

    /** Unmounts any volume a row left mounted besides the fixture's (each such row has failed already). */
    private static void restore(Set<String> volumes) throws Exception {
        for (String name : volumes) {
            if (!name.equals("v") && !name.equals("ro")) {
                engine.manager().unmount(name);
            }
        }
    }

    private static String expand(String word) {
        String w = word;
        for (Map.Entry<String, String> p : places.entrySet()) {
            w = w.replace(p.getKey(), p.getValue());
        }
        return w;
    }

    /**
     * The host directory's files and the MD5 of each image the row could touch: the mounted
     * volumes' committed images (after a sync), and every image file the row names.
     */
    private static Map<String, String> images(Row row) throws IOException {
        for (String name : List.of("v", "ro")) {
            Volume v = engine.manager().volume(name).orElse(null);
            if (v != null && name.equals("v")) {
                v.sync();
            }
        }
        Map<String, String> sums = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            sums.put("files", files.map(p -> dir.relativize(p).toString()).sorted().toList().toString());
        }
        String line = String.join(" ", row.words());
        for (String image : List.of("v", "ro", "off", "empty", "noread", "full")) {
            Path p = dir.resolve(image + ".img");
            boolean named = line.contains("{" + image + "}") || image.equals("full") && line.contains("{backup}");
            if ((image.equals("v") || image.equals("ro") || named) && Files.isReadable(p)) {
                sums.put(image, md5(p));
            }
        }
        return sums;
    }

    private static String md5(Path p) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("MD5"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyCommandAndEveryIoSubCommandHasRows() {
        Set<String> commands = new TreeSet<>();
        Set<String> io = new TreeSet<>();
        for (Row r : BadInputRows.all()) {
            commands.add(r.spec().name());
            if (r.spec() == Commands.IO && r.words().size() > 2) {
                io.add(r.words().get(2).trim().split(" ")[0]);
            }
        }
        assertEquals(new TreeSet<>(Commands.ALL.stream().map(CommandSpec::name).toList()), commands);
        assertEquals(new TreeSet<>(IoScript.TABLE.stream().map(IoScript.IoCommand::name).toList()), io);
    }

    /** The one line the executable prints for a failed command (as its ScriptRunner does). */
    static final class ErrorLine {
        private ErrorLine() {
        }

        static Throwable unwrap(Throwable e) {
            while ((e instanceof InvocationTargetException || e instanceof UndeclaredThrowableException)
                    && e.getCause() != null) {
                e = e.getCause();
            }
            return e;
        }

        /** Not a failure the user caused: the executable logs its stack trace and says "internal error". */
        static boolean internal(Throwable failure) {
            Throwable e = unwrap(failure);
            return !(e instanceof IOException || e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException || e instanceof UnsupportedOperationException
                    || e instanceof SecurityException);
        }

        static String of(Throwable failure) {
            Throwable e = unwrap(failure);
            String message = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                    : e.getMessage().strip();
            if (e instanceof java.nio.file.FileSystemException f && f.getReason() == null) {
                String reason = e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                        : e instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                        : e instanceof java.nio.file.DirectoryNotEmptyException ? "directory not empty"
                        : e instanceof java.nio.file.NotDirectoryException ? "not a directory" : null;
                message = reason == null ? message : f.getFile() + ": " + reason;
            }
            return message;
        }
    }
}
