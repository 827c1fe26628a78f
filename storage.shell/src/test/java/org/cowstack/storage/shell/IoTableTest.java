package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.shell.IoScript.IoCommand;
import org.cowstack.storage.shell.cli.ArgSpec;
import org.cowstack.storage.shell.cli.OptionSpec;
import org.cowstack.storage.shell.cli.ProgressReporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The io sub-commands as one table: every row parses by its own declaration (arity,
 * options, values), help lists every row, and the long ones stop at a clean point when
 * cancelled (the real engine on a RAM disk).
 */
class IoTableTest {
    private MemEngine engine;
    private CowVolume volume;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @BeforeEach
    void mount() throws IOException {
        engine = new MemEngine();
        volume = engine.mount("io", 16 << 20);
    }

    @AfterEach
    void unmount() throws IOException {
        engine.close();
    }

    @Test
    void everyRowIsDeclaredCompletely() {
        Set<String> names = new HashSet<>();
        for (IoCommand c : IoScript.TABLE) {
            assertTrue(names.add(c.name()), "one row per name: " + c.name());
            assertNotNull(c.handler(), c.name());
            assertFalse(c.description().isBlank(), c.name());
            assertTrue(c.usage().startsWith(c.name()), c.usage());
            assertTrue(c.min() <= c.max());
            for (OptionSpec o : c.options()) {
                assertTrue(o.name().matches("-[a-zA-Z]"), "xfs_io-style short options: " + o.name());
                assertTrue(c.usage().contains("[" + o.synopsis() + "]"), c.usage());
            }
            for (ArgSpec a : c.arguments()) {
                assertTrue(c.usage().contains(a.synopsis()), c.usage());
            }
        }
        assertEquals(String.join(", ", names.stream().toList().stream().sorted().toList()),
                String.join(", ", IoScript.COMMANDS.split(", ")).lines().findFirst().map(s -> List.of(s.split(", ")))
                        .orElseThrow().stream().sorted().reduce((a, b) -> a + ", " + b).orElseThrow());
        assertEquals("pwrite [-S BYTE] [-d] [-a] [-b BSIZE] OFF LEN", IoScript.find("pwrite").orElseThrow().usage());
        assertEquals("reflink SRC SRCOFF DSTOFF LEN", IoScript.find("reflink").orElseThrow().usage());
    }

    @Test
    void helpListsEveryRow() {
        String help = HelpCommand.describe(Commands.IO);
        assertTrue(help.startsWith("storage:io - " + Commands.IO_TEXT + "\nusage: storage:io NAME PATH \"CMD ARGS\"..."),
                help);
        for (IoCommand c : IoScript.TABLE) {
            assertTrue(help.contains("\n  " + c.usage() + " "), c.name() + " in:\n" + help);
            assertTrue(help.contains(c.description()), c.name());
        }
    }

    /** For every row: too many arguments, too few, an unknown option, an option without its value. */
    static Stream<Object[]> wrongSubCommands() {
        List<Object[]> cases = new ArrayList<>();
        for (IoCommand c : IoScript.TABLE) {
            if (c.max() < Integer.MAX_VALUE) {
                cases.add(new Object[] {c.name() + " 1 2 3 4 5", c.name() + ": expected " + c.max() + " argument"});
            }
            if (c.min() > 0) {
                cases.add(new Object[] {c.name(), c.name() + ": expected " + c.min() + " argument"});
            }
            if (c.parseOptions()) {
                cases.add(new Object[] {c.name() + " -Q 0 0 0 0", c.name() + ": unknown option -Q"});
                cases.add(new Object[] {c.name() + " -7", c.name() + ": -7 is negative"});
            }
            for (OptionSpec o : c.options()) {
                if (!o.isFlag()) {
                    cases.add(new Object[] {c.name() + " 0 0 " + o.name(), c.name() + ": " + o.name()
                            + " needs a value (" + o.valueName() + ")"});
                }
                cases.add(new Object[] {c.name() + " " + o.name() + " 1 " + o.name() + " 1 0 0",
                        c.name() + ": option " + o.name() + " given twice"});
            }
        }
        cases.add(new Object[] {"chattr", "chattr: expected +C, -C, +nodatasum or -nodatasum"});
        cases.add(new Object[] {"   ", "an empty io command; known: " + IoScript.COMMANDS});
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("wrongSubCommands")
    void aWrongSubCommandIsOneLineNamingIt(String line, String says) throws IOException {
        try (FileHandle f = volume.open("/f", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE))) {
            IoScript io = new IoScript(volume, f, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> io.run(line));
            assertTrue(e.getMessage().startsWith(says), line + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertEquals(0, f.size(), "nothing ran");
        }
    }

    private IoScript io(FileHandle f, AtomicBoolean cancel, AtomicLong writes) {
        return new IoScript(volume, f, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                new ProgressReporter(new PrintStream(new ByteArrayOutputStream()), true, 80, cancel, () -> {
                    // the clock: the third reading (two pieces done) is where Ctrl-C comes
                    if (writes.incrementAndGet() == 3) {
                        cancel.set(true);
                    }
                    return writes.get() * 1_000_000_000L;
                }));
    }

    /** A volume large enough for work that draws a bar ({@link ProgressReporter#LARGE} and more). */
    private CowVolume big() throws IOException {
        return engine.mount("big", 160 << 20);
    }

    @Test
    void aCancelledPwriteKeepsExactlyThePiecesWritten() throws IOException {
        AtomicBoolean cancel = new AtomicBoolean();
        volume = big();
        try (FileHandle f = volume.open("/big", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE))) {
            InterruptedIOException e = assertThrows(InterruptedIOException.class,
                    () -> io(f, cancel, new AtomicLong()).run("pwrite -S 0x5a -b 1m 0 96m"));
            assertEquals("interrupted", e.getMessage());
            assertEquals(2 << 20, f.size(), "two 1 MiB pieces, then the cancel");
            assertEquals(2 << 20, e.bytesTransferred);
            ByteBuffer back = ByteBuffer.allocate(2 << 20);
            f.read(back, 0);
            for (byte b : back.array()) {
                assertEquals(0x5a, b & 0xff);
            }
            assertEquals("", bytes.toString(StandardCharsets.UTF_8), "no 'wrote' line for an interrupted write");
        }
    }

    @Test
    void cancelledReadsAndChecksumsStopToo() throws IOException {
        volume = big();
        try (FileHandle f = volume.open("/big", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE))) {
            new IoScript(volume, f, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run("pwrite -b 1m 0 65m");
            bytes.reset();
            assertThrows(InterruptedIOException.class, () -> io(f, new AtomicBoolean(), new AtomicLong())
                    .run("pread 0 65m"));
            assertThrows(InterruptedIOException.class, () -> io(f, new AtomicBoolean(), new AtomicLong())
                    .run("md5sum"));
            assertEquals("", bytes.toString(StandardCharsets.UTF_8));
            AtomicBoolean already = new AtomicBoolean(true);
            assertThrows(InterruptedIOException.class, () -> io(f, already, new AtomicLong()).run("pwrite 65m 4k"));
            assertEquals(65 << 20, f.size(), "cancelled before the first piece: nothing written");
        }
    }

    @Test
    void withoutACancelFlagLargeWorkRunsToItsEnd() throws IOException {
        volume = big();
        try (FileHandle f = volume.open("/big", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE))) {
            IoScript io = new IoScript(volume, f, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                    ProgressReporter.of(Sessions.empty()));
            io.run("pwrite -b 1m 0 " + (ProgressReporter.LARGE + (1 << 20)));
            assertEquals("wrote 68157440/68157440 bytes at offset 0\n", bytes.toString(StandardCharsets.UTF_8));
        }
    }
}
