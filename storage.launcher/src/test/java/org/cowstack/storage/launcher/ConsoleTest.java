package org.cowstack.storage.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.ConsoleSession;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

/**
 * The console's loop against the real Gogo runtime and JLine's line editor, on a terminal
 * of bytes whose attributes fail as the exec terminal's {@code stty} does when Ctrl-C
 * kills or interrupts it.
 */
class ConsoleTest {
    /**
     * A terminal (ANSI, so JLine edits as on a real one) whose setting of attributes
     * fails: when it leaves raw mode (the end of a readLine) the first {@code failures}
     * times, or always.
     */
    static final class FailingTerminal extends DumbTerminal {
        int restoresToFail;
        boolean always;
        private boolean raw;

        FailingTerminal(byte[] input, ByteArrayOutputStream output) throws IOException {
            super("test", "ansi", new ByteArrayInputStream(input), output, StandardCharsets.UTF_8);
            setSize(new Size(80, 24));
        }

        @Override
        public void setAttributes(Attributes attr) {
            boolean toRaw = attr.getControlChar(Attributes.ControlChar.VTIME) == 1; // enterRawMode's
            if (always && toRaw) {
                throw new IOError(new IOException("Error executing 'stty': Input/output error"));
            }
            if (raw && !toRaw && restoresToFail > 0) {
                restoresToFail--;
                raw = false;
                // stty killed by the SIGINT, and JLine's handler interrupting us a moment later
                Thread.currentThread().interrupt();
                throw new IOError(new IOException("Error executing 'stty -a': "));
            }
            raw = toRaw;
            super.setAttributes(attr);
        }
    }

    public static final class Commands {
        final List<String> said = new ArrayList<>();
        Terminal terminal;

        public String say(String what) {
            said.add(what);
            return what;
        }

        /** Ctrl-C during a command: what the console's handler did, and whether we were interrupted. */
        public String poke(CommandSession session) {
            terminal.raise(Terminal.Signal.INT);
            AtomicBoolean cancel = (AtomicBoolean) session.get(ConsoleSession.CANCEL);
            return "cancel=" + cancel.get() + " interrupted=" + Thread.interrupted();
        }
    }

    private ThreadIOImpl threadIO;
    private CommandProcessorImpl processor;
    private final Commands commands = new Commands();
    private final List<Throwable> unexpected = new ArrayList<>();

    @BeforeEach
    void start() {
        threadIO = new ThreadIOImpl();
        threadIO.start();
        processor = new CommandProcessorImpl(threadIO);
        processor.addCommand("storage", commands, "say");
        processor.addCommand("storage", commands, "poke");
    }

    @AfterEach
    void stop() {
        threadIO.stop();
    }

    private int run(FailingTerminal terminal) {
        commands.terminal = terminal;
        Console console = new Console(processor, terminal, List::of, () -> new Bundle[0], null, () -> false,
                unexpected::add);
        return assertTimeoutPreemptively(Duration.ofSeconds(60), console::run);
    }

    private static byte[] lines(String... lines) {
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * JLine 3.21 left its readLine-in-progress guard set when restoring the terminal at the
     * end of a readLine failed, and every later readLine threw a bare IllegalStateException:
     * the console left ten lines later with "the terminal fails". Its Ctrl-C handler, which
     * interrupts the console thread, also stayed installed for the commands after.
     */
    @Test
    void oneFailureOfTheTerminalCostsOneLineNotTheConsole() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (FailingTerminal terminal = new FailingTerminal(lines("say lost", "say one", "poke", "say two", "exit"),
                screen)) {
            terminal.restoresToFail = 1;
            assertEquals(ScriptRunner.OK, run(terminal));
        }
        String out = screen.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("the terminal fails"), out);
        assertEquals(List.of("one", "two"), commands.said, "the line being edited when it failed is lost, no other");
        assertTrue(out.contains("cancel=true interrupted=false"), "Ctrl-C during a command sets its flag only: " + out);
        assertEquals(1, unexpected.size(), unexpected.toString());
    }

    @Test
    void aTerminalThatKeepsFailingEndsTheConsoleInOneLine() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (FailingTerminal terminal = new FailingTerminal(lines("say never"), screen)) {
            terminal.always = true;
            assertEquals(ScriptRunner.FAILED, run(terminal));
        }
        String out = screen.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().filter(l -> l.contains("error: the terminal fails")).count(), out);
        assertEquals(List.of(), commands.said);
    }
}
