package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.shell.console.ConsoleSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The storage shell through real Gogo sessions (issue 15): wrong usage of every command
 * answered in one line with the usage, {@code help}, {@code --json}, typed results as
 * Gogo prints them, device URIs with {@code ?options} unquoted, a path lost to a
 * {@code //} comment, progress and cancellation through the console's session variables.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellIT {
    /** Java class names or Gogo's coercion errors: never in an answer to wrong usage. */
    private static final Pattern JAVA = Pattern.compile("\\b(java|javax|org|com)\\.[a-z]+\\.|Exception|Cannot coerce");

    @Inject
    private CommandProcessor gogo;

    @Inject
    private VolumeManager manager;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    /** What a session printed: its output, its error stream, and the formatted result. */
    private record Ran(String out, String err) {
    }

    private Ran run(Map<String, Object> variables, String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandSession session = gogo.createSession(new ByteArrayInputStream(new byte[0]), o, e);
        try {
            variables.forEach(session::put);
            Object result = session.execute(command);
            if (result != null) {
                o.print(session.format(result, Converter.INSPECT));
            }
            return new Ran(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            session.close();
        }
    }

    private String session(String command) throws Exception {
        return run(Map.of(), command).out().strip();
    }

    /** The console's setting: unscoped names resolve to storage first. */
    private String console(String command) throws Exception {
        return run(Map.of("SCOPE", "storage:gogo:*"), command).out().strip();
    }

    private Exception failure(String command) throws Exception {
        try {
            String printed = session(command);
            fail(command + " must fail, printed: " + printed);
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    /** Wrong usage of every storage command, the name of the command it must name. */
    private static Map<String, String> wrongUsage() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("storage:mkfs", "mkfs");
        cases.put("storage:mkfs --bogus mem:u", "mkfs");
        cases.put("storage:mkfs mem:u --csum", "mkfs");
        cases.put("storage:mkfs mem:u mem:w", "mkfs");
        cases.put("storage:mount u", "mount");
        cases.put("storage:mount --alloc u mem:u", "mount");
        cases.put("storage:mount --ro=yes u mem:u", "mount");
        cases.put("storage:remount u", "remount");
        cases.put("storage:remount --ro --rw u", "remount");
        cases.put("storage:remount --ro", "remount");
        cases.put("storage:umount", "umount");
        cases.put("storage:umount a b", "umount");
        cases.put("storage:volumes all", "volumes");
        cases.put("storage:volumes --long", "volumes");
        cases.put("storage:df", "df");
        cases.put("storage:df a b", "df");
        cases.put("storage:ls", "ls");
        cases.put("storage:ls a / b", "ls");
        cases.put("storage:ls -l a", "ls");
        cases.put("storage:mkdir a", "mkdir");
        cases.put("storage:mkdir -p a /b", "mkdir");
        cases.put("storage:rm a /b /c", "rm");
        cases.put("storage:rm -r a /b", "rm");
        cases.put("storage:mv a /b", "mv");
        cases.put("storage:cp --bogus a /b /c", "cp");
        cases.put("storage:cp a /b", "cp");
        cases.put("storage:io a /f", "io");
        cases.put("storage:io a /f pwrite 0 4k", "io");
        cases.put("storage:io a /f pwrite -S 1 0 4k", "io");
        cases.put("storage:owners a", "owners");
        cases.put("storage:owners a 1 2", "owners");
        cases.put("storage:csum nonsense-argument", "csum");
        cases.put("storage:csum --all", "csum");
        cases.put("storage:devices x", "devices");
        cases.put("storage:dio a b c", "dio");
        cases.put("storage:dio --json a", "dio");
        cases.put("storage:alloc a b c", "alloc");
        cases.put("storage:alloc --policy a", "alloc");
        cases.put("storage:scrub", "scrub");
        cases.put("storage:scrub start", "scrub");
        cases.put("storage:scrub start --bogus a", "scrub");
        cases.put("storage:scrub start --limit a", "scrub");
        cases.put("storage:scrub scour a", "scrub");
        cases.put("storage:scrub limit a", "scrub");
        cases.put("storage:scrub pause --wait a", "scrub");
        cases.put("storage:health", "health");
        cases.put("storage:health --all a", "health");
        cases.put("storage:check", "check");
        cases.put("storage:check a b", "check");
        cases.put("storage:check --repair a", "check");
        cases.put("storage:help a b", "help");
        cases.put("storage:help --all", "help");
        return cases;
    }

    @Test
    public void wrongUsageOfEveryCommandIsOneLineEndingWithTheUsage() throws Exception {
        List<String> named = new ArrayList<>();
        for (Map.Entry<String, String> c : wrongUsage().entrySet()) {
            Exception e = failure(c.getKey());
            String m = e.getMessage();
            assertTrue(c.getKey() + ": an IllegalArgumentException, not " + e, e instanceof IllegalArgumentException);
            assertFalse(c.getKey() + ": one line: " + m, m.contains("\n"));
            String command = "storage:" + c.getValue();
            assertTrue(c.getKey() + ": " + m, m.startsWith(command + ": "));
            assertTrue(c.getKey() + ": " + m, m.matches(".*; usage: " + Pattern.quote(command) + "( .*)?"));
            assertFalse(c.getKey() + ": " + m, JAVA.matcher(m).find());
            if (!named.contains(command)) {
                named.add(command);
            }
        }
        assertEquals("every storage command is in the table", 21, named.size());
        // unscoped, as typed at the console
        Exception e = null;
        try {
            console("mkfs --bogus mem:u");
        } catch (Exception expected) {
            e = expected;
        }
        assertEquals("storage:mkfs: unknown option --bogus; usage: storage:mkfs [--csum NAME] [--block-size SIZE] "
                + "[--size SIZE] [--label L] [--data PROFILE] [--metadata PROFILE] URI", e.getMessage());
        assertEquals("storage:df: expected 1 argument, got 2; usage: storage:df [--json] NAME",
                failure("storage:df a b").getMessage());
        assertEquals("storage:io: each io command is one word with its arguments: quote it, as in storage:io a /f "
                + "\"pwrite 0 4k\"; usage: storage:io NAME PATH \"CMD ARGS\"...",
                failure("storage:io a /f pwrite 0 4k").getMessage());
    }

    @Test
    public void helpListsTheStorageCommandsGroupedAndDescribesEach() throws Exception {
        String help = console("help");
        assertEquals("help resolves to storage:help first", session("storage:help"), help);
        assertTrue(help, help.startsWith("storage commands ("));
        for (String group : List.of("volumes", "files", "policies", "devices")) {
            assertTrue(group + " in\n" + help, help.contains("\n" + group + ":\n  storage:"));
        }
        assertTrue(help, help.matches("(?s).*\n  storage:mkfs +create an empty volume on a device.*"));
        assertTrue(help, help.endsWith("'felix:help' lists them, 'help NAME' describes one."));

        String mkfs = console("help mkfs");
        assertEquals(mkfs, console("help storage:mkfs"));
        assertTrue(mkfs, mkfs.startsWith("storage:mkfs - create an empty volume on a device"));
        assertTrue(mkfs, mkfs.contains("\nusage: storage:mkfs [--csum NAME] [--block-size SIZE] [--size SIZE] "
                + "[--label L] [--data PROFILE] [--metadata PROFILE] URI\noptions:\n  --csum NAME"));
        String io = console("help io");
        for (String sub : List.of("pwrite [-S BYTE] [-d] [-a] [-b BSIZE] OFF LEN", "reflink SRC SRCOFF DSTOFF LEN",
                "chattr +C|-C|+nodatasum|-nodatasum...", "lsattr")) {
            assertTrue(sub + " in\n" + io, io.contains("\n  " + sub + " "));
        }
        Exception nosuch = null;
        try {
            console("help storage:nosuch");
        } catch (Exception e) {
            nosuch = e;
        }
        assertEquals("help: there is no command storage:nosuch; 'help' lists the storage commands", nosuch.getMessage());

        // Gogo's own commands stay described by Gogo
        String lb = console("help lb");
        assertTrue(lb, lb.startsWith("lb - ") && lb.contains("scope: felix"));
        String all = session("felix:help");
        assertTrue(all.contains("felix:lb") && all.contains("storage:mkfs") && all.contains("storage:help"));
        assertTrue(session("felix:help storage:csum").contains("list the checksum algorithms installed"));
    }

    @Test
    public void everyTableCommandPrintsJson() throws Exception {
        session("storage:mkfs --size 16m --label 'a \"label\"' mem:json; storage:mount j mem:json");
        session("storage:mkdir j '/say \"hi\"'; storage:io j /f 'pwrite 0 8k' fsync");
        String volumes = session("storage:volumes --json");
        assertTrue(volumes, volumes.matches("\\[\\{.*\\}\\]"));
        assertTrue(volumes, volumes.contains("{\"name\":\"j\",\"device\":\"mem:json\",\"state\":\"MOUNTED\","
                + "\"csum\":\"crc32c\",\"size\":"));
        assertTrue(volumes, volumes.matches(".*\"size\":\\d+,\"used\":\\d+\\}.*"));
        String csum = session("storage:csum --json");
        assertTrue(csum, csum.startsWith("[{\"name\":\"crc32c\",\"id\":0,\"digest bytes\":4,\"bundle\":\"storage.csum "));
        assertTrue(session("storage:devices --json").contains("{\"scheme\":\"mem\",\"bundle\":\"storage.device "));
        assertTrue(session("storage:df --json j").matches("\\[\\{\"volume\":\"j\",\"size\":\\d+,\"used\":\\d+,"
                + "\"reserved\":\\d+,\"free\":\\d+,\"shared\":\\d+,\"data\":\"single\",\"metadata\":\"dup\"\\}\\]"));
        String ls = session("storage:ls --json j");
        assertTrue(ls, ls.contains("{\"name\":\"f\",\"type\":\"file\",\"size\":8192,\"allocated\":8192,\"inode\":"));
        assertTrue(ls, ls.contains("{\"name\":\"say \\\"hi\\\"\",\"type\":\"dir\""));
        assertEquals("[]", session("storage:owners --json j 3999"));
        assertEquals("block 3999 is free", session("storage:owners j 3999"));
        assertTrue(session("storage:dio --json").contains("{\"name\":\"buffered\",\"bundle\":\"storage.dio "));
        String alloc = session("storage:alloc --json");
        assertTrue(alloc, alloc.matches(".*\\{\"name\":\"first-fit\",\"bundle\":\"storage\\.alloc [^\"]*\","
                + "\"volumes\":\"([^\"]*,)?j(,[^\"]*)?\"\\}.*"));
        session("storage:umount j");
    }

    @Test
    public void typedResultsPrintAsPeopleExpect() throws Exception {
        assertEquals("one line inside a list", "formatted mem:typed (16M, crc32c)",
                session("[(storage:mkfs --size 16m mem:typed)]"));
        assertEquals("mounted t on mem:typed (MOUNTED)", session("storage:mount t mem:typed"));
        String one = session("(storage:volumes) get 0");
        assertTrue(one, one.matches("(?s)name +\\S+\ndevice +\\S+\nstate +\\S+.*\nused +-?\\d+"));
        assertEquals("t", session("(storage:mount t mem:typed) name"));
        assertEquals("first-fit", session("(storage:mount t mem:typed) allocationpolicy"));
        assertEquals("t: allocates with first-fit\nt: direct writes use buffered",
                session("[(storage:alloc t) (storage:dio t)]"));
        assertEquals("buffered", session("(storage:dio t) name"));
        // grep colours its matches: compare the text without the colour codes
        String piped = session("storage:volumes | grep MOUNTED").replaceAll("\u001B\\[[;\\d]*m", "");
        assertTrue(piped, piped.lines().anyMatch(l -> l.matches("t +mem:typed +MOUNTED .*")));
        assertTrue(session("storage:df t").startsWith("VOLUME"));
        assertEquals("1 row", session("[(storage:df t)]"));
        assertEquals("remounted t read-only (READ_ONLY)", session("storage:remount --ro t"));
        assertEquals("unmounted t", session("storage:umount t"));
    }

    @Test
    public void aDeviceUriWithOptionsWorksUnquoted() throws Exception {
        Path dir = Files.createDirectories(new File(System.getProperty("storage.itest.dir")).toPath().resolve("shell"));
        Path image = dir.resolve("q.img");
        Files.deleteIfExists(image);
        // Gogo globs an unquoted ? against the host's files: a word that matches none fails the line
        try {
            session("echo file:" + image + "?dsync=true");
            fail("Gogo's own commands glob as before");
        } catch (java.io.IOException expected) {
            assertEquals("no matches found: file:" + image + "?dsync=true", expected.getMessage());
        }
        assertTrue(session("storage:mkfs --size 16m file:" + image + "?dsync=true")
                .startsWith("formatted file:" + image + "?dsync=true: 16M"));
        assertEquals("mounted q on file:" + image + "?dsync=true (MOUNTED)",
                session("storage:mount q file:" + image + "?dsync=true"));
        // a volume path is never globbed against the host either
        assertTrue(failure("storage:ls q /tmp*").getMessage().contains("/tmp*"));
        session("storage:umount q");
    }

    @Test
    public void aPathLostToAGogoCommentIsRefusedInOneLine() throws Exception {
        session("storage:mkfs --size 16m mem:slash; storage:mount s mem:slash; storage:mkdir s /d");
        Exception e = failure("storage:ls s //d");
        assertEquals("storage:ls: //d starts a Gogo comment, so it and the rest of the line were ignored; write the "
                + "path with one / (/d) or quote it ('//d'); usage: storage:ls [--json] NAME [PATH]", e.getMessage());
        assertTrue(session("storage:ls s '//d'").startsWith("NAME"));
        assertTrue("a comment as people write one still is one", session("storage:ls s // the root").contains("d"));
        session("storage:umount s");
    }

    @Test
    public void theConsolesCancelFlagStopsLongWorkAtACleanPoint() throws Exception {
        Path dir = Files.createDirectories(new File(System.getProperty("storage.itest.dir")).toPath().resolve("shell"));
        Path image = dir.resolve("cancel.img");
        Files.deleteIfExists(image);
        session("storage:mkfs --size 2g file:" + image + "; storage:mount c file:" + image);
        try {
            AtomicBoolean already = new AtomicBoolean(true);
            try {
                run(Map.of(ConsoleSession.CANCEL, already), "storage:io c /f 'pwrite 0 1m'");
                fail("cancelled before it started");
            } catch (InterruptedIOException expected) {
                assertEquals("interrupted", expected.getMessage());
            }
            assertEquals(0, stat("c", "/f").size());

            AtomicBoolean cancel = new AtomicBoolean();
            Thread ctrlC = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                    return;
                }
                cancel.set(true);
            });
            ctrlC.start();
            Map<String, Object> vars = Map.of(ConsoleSession.CANCEL, cancel, ConsoleSession.INTERACTIVE, Boolean.TRUE,
                    ConsoleSession.WIDTH, 60);
            try {
                run(vars, "storage:io c /big 'pwrite -b 1m 0 1536m'");
                fail("1.5 GiB in 300 ms");
            } catch (InterruptedIOException expected) {
                assertEquals("interrupted", expected.getMessage());
            }
            ctrlC.join();
            long size = stat("c", "/big").size();
            assertTrue("a whole number of pieces: " + size, size % (1 << 20) == 0);
            assertTrue("stopped early: " + size, size > 0 && size < 1536L << 20);

            // without a cancel flag (a plain session) the same work is never cancelled, and draws nothing
            Ran quiet = run(Map.of(), "storage:io c /quiet 'pwrite -b 1m 0 65m'");
            assertEquals("wrote 68157440/68157440 bytes at offset 0\n", quiet.out());
            assertEquals("", quiet.err());
            // on a console: a bar on the error stream, redrawn in place and erased, the result clean
            // (an md5sum of 512 MiB: reading and hashing it outlasts the bar's 250 ms delay,
            // which buffered writes into the cache and the host's cache need not)
            assertEquals("wrote 536870912/536870912 bytes at offset 0\n",
                    run(Map.of(), "storage:io c /drawn 'pwrite -b 1m 0 512m'").out());
            Ran drawn = run(Map.of(ConsoleSession.INTERACTIVE, Boolean.TRUE, ConsoleSession.WIDTH, 100),
                    "storage:io c /drawn md5sum");
            assertTrue(drawn.out(), drawn.out().matches("[0-9a-f]{32}  /drawn\n"));
            assertTrue(drawn.err(), drawn.err().startsWith("\rmd5sum /drawn [") && !drawn.err().contains("\n"));
            assertTrue(drawn.err(), drawn.err().matches("(?s).*\r +\r"));
            for (String frame : drawn.err().split("\r")) {
                assertTrue(frame, frame.length() <= 99);
            }
        } finally {
            session("storage:umount c");
            Files.deleteIfExists(image);
        }
    }

    private FileStat stat(String volume, String path) throws Exception {
        return manager.volume(volume).orElseThrow().stat(path);
    }
}
