package org.cowstack.storage.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: the interactive console as a user meets it, in a real terminal (tmux): Tab
 * anywhere, Ctrl-C at the prompt and during a command, pasted and enormous input,
 * errors in one line, Ctrl-D and exit N. Also Ctrl-C during a {@code -c} run in a
 * terminal (exit 130).
 *
 * <p>Two checks depend on storage.shell honouring the console contract
 * ({@code org.cowstack.storage.shell.console}): completion of storage command arguments
 * needs its {@code CommandCompletion} service, and a write stopped within a second needs
 * {@code pwrite} to check {@code ConsoleSession.CANCEL}. Where the shell does not yet,
 * those tests assert it too.
 *
 * <p>Needs tmux ({@code .ci/run} installs it with apt-get); skipped with a message
 * without.
 */
class ConsoleIT {
    private static final String PROMPT = "storage> ";
    private static final long START_MS = 90_000;
    private static final long STEP_MS = 15_000;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsTmux() {
        String why = Tmux.unavailable();
        Assumptions.assumeTrue(why == null, "the console test needs tmux, which .ci/run installs with apt-get: " + why);
    }

    private Tmux console() throws Exception {
        return run();
    }

    private Tmux run(String... args) throws Exception {
        String java = ExecutableJarIT.javas().findFirst().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-jar", System.getProperty("storage.jar")));
        command.addAll(List.of(args));
        return Tmux.start(dir, dir.resolve("home"), command);
    }

    /** The lines of the screen, trailing blank ones dropped. */
    private static List<String> lines(String screen) {
        List<String> lines = screen.lines().map(String::stripTrailing).collect(Collectors.toList());
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    /** Whether the screen ends with an empty prompt. */
    private static boolean atPrompt(String screen) {
        List<String> lines = lines(screen);
        return !lines.isEmpty() && lines.get(lines.size() - 1).equals(PROMPT.strip());
    }

    /** How many lines of the screen and its history begin with the prompt. */
    private static long prompts(String screen) {
        return lines(screen).stream().filter(l -> l.startsWith(PROMPT.strip())).count();
    }

    /** Whether the console prompts again after the last time {@code command} was entered. */
    private static boolean promptAfter(String screen, String command) {
        List<String> lines = lines(screen);
        int entered = lines.lastIndexOf((PROMPT + command).stripTrailing());
        return entered >= 0 && entered < lines.size() - 1 && lines.get(lines.size() - 1).equals(PROMPT.strip());
    }

    /** What {@code command} printed: the lines between it and the next prompt. */
    private static List<String> output(String screen, String command) {
        List<String> lines = lines(screen);
        int entered = lines.lastIndexOf((PROMPT + command).stripTrailing());
        List<String> out = new ArrayList<>();
        for (int i = entered + 1; i < lines.size() && !lines.get(i).startsWith(PROMPT.strip()); i++) {
            out.add(lines.get(i));
        }
        return out;
    }

    /**
     * Enters a command at a fresh prompt and waits for the prompt after it; returns its
     * output. Typing before the prompt shows would be typeahead, which the terminal echoes
     * in cooked mode before the line editor redraws it (seen under load after a long output).
     */
    private static List<String> enter(Tmux tmux, String command) throws Exception {
        tmux.await(ConsoleIT::atPrompt, STEP_MS, "a fresh prompt");
        tmux.type(command);
        tmux.press("Enter");
        return output(tmux.await(s -> promptAfter(s, command), STEP_MS, "the prompt after " + command), command);
    }

    /** The line being edited (the last one that starts with the prompt). */
    private static String editing(String screen) {
        List<String> lines = lines(screen);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(PROMPT.strip())) {
                return lines.get(i);
            }
        }
        return "";
    }

    /** Drops the line being edited (Ctrl-C at the prompt) and waits for a fresh prompt. */
    private static void clear(Tmux tmux) throws Exception {
        // A new prompt line, not the one already on screen: the line editor draws it once
        // it reads again, so what is typed next is not echoed as typeahead.
        long before = prompts(tmux.screen());
        tmux.press("C-c");
        tmux.await(s -> atPrompt(s) && prompts(s) > before, STEP_MS, "a fresh prompt");
        Thread.sleep(200); // JLine sees the interrupt asynchronously: let it settle before typing
    }

    /** Presses a key and waits until {@code text} shows once more than before. */
    private static void pressAndAwaitMore(Tmux tmux, String key, String text, String what) throws Exception {
        int before = count(tmux.screen(), text);
        tmux.press(key);
        tmux.await(s -> count(s, text) > before, STEP_MS, what);
    }

    /**
     * Tab, then "n" to JLine's offer to list every candidate, and waits for the offer to go
     * as a user would see it go: a Ctrl-C before JLine has redrawn the line leaves the
     * offer's text on the screen behind the next prompt (a cosmetic race in JLine).
     */
    private static void declineTheOffer(Tmux tmux, String what) throws Exception {
        int before = count(tmux.screen(), "possibilities");
        pressAndAwaitMore(tmux, "Tab", "possibilities", what);
        tmux.type("n");
        tmux.await(s -> count(s, "possibilities") == before, STEP_MS, "the offer declined");
    }

    private static int count(String screen, String text) {
        int n = 0;
        for (int i = screen.indexOf(text); i >= 0; i = screen.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }

    private static void noStackTrace(String screen) {
        assertFalse(screen.contains("Exception"), "no exception on screen:\n" + Tmux.tail(screen));
        assertFalse(screen.lines().anyMatch(l -> l.strip().startsWith("at ")), "no stack frame:\n" + Tmux.tail(screen));
    }

    private static boolean shellCompletes(Tmux tmux) throws Exception {
        return String.join("\n", enter(tmux, "inspect capability service storage.shell"))
                .contains("org.cowstack.storage.shell.console.CommandCompletion");
    }

    @Test
    void theConsoleNeverDiesOfInput() throws Exception {
        try (Tmux tmux = console()) {
            tmux.await(s -> s.contains(PROMPT.strip()), START_MS, "the first prompt");

            List<String> help = enter(tmux, "help");
            assertTrue(help.stream().anyMatch(l -> l.contains("csum")) && help.stream().noneMatch(l -> l.startsWith("error")),
                    String.join("\n", help));

            // Tab on an empty line: every command (JLine asks first), nothing breaks.
            declineTheOffer(tmux, "the offer to list every command");
            clear(tmux);

            // Tab completes command names, bundle names and help topics.
            tmux.type("storage:cs");
            tmux.press("Tab");
            tmux.await(s -> editing(s).equals(PROMPT + "storage:csum"), STEP_MS, "storage:csum completed");
            tmux.press("Enter");
            String csum = tmux.await(s -> promptAfter(s, "storage:csum"), STEP_MS, "storage:csum's table");
            assertTrue(output(csum, "storage:csum").stream().anyMatch(l -> l.startsWith("crc32c")), Tmux.tail(csum));
            tmux.type("update storage.cs");
            tmux.press("Tab");
            tmux.await(s -> editing(s).equals(PROMPT + "update storage.csum"), STEP_MS, "a bundle name completed");
            clear(tmux);
            tmux.type("help felix:unin");
            tmux.press("Tab");
            tmux.await(s -> editing(s).equals(PROMPT + "help felix:uninstall"), STEP_MS, "a help topic completed");
            clear(tmux);

            // Tab inside an open quote (this ended the process) and after a pipe.
            tmux.type("storage:io default /f \"pw");
            tmux.press("Tab");
            Thread.sleep(500);
            tmux.await(s -> editing(s).startsWith(PROMPT + "storage:io default /f \"pw"), STEP_MS,
                    "the line kept after Tab inside a quote");
            clear(tmux);
            tmux.type("lb | ");
            declineTheOffer(tmux, "commands offered after a pipe");
            clear(tmux);

            // Ctrl-C at the prompt drops the line and nothing else.
            tmux.type("storage:volumes half typed");
            clear(tmux);
            assertEquals(List.of("ok"), enter(tmux, "echo ok"));

            // Errors are one line without Java's type names.
            assertEquals(List.of("error: command not found: storage:nosuch"), enter(tmux, "storage:nosuch"));
            List<String> usage = enter(tmux, "storage:df a b");
            assertEquals(1, usage.size(), usage.toString());
            assertTrue(usage.get(0).startsWith("error: "), usage.toString());
            assertFalse(usage.get(0).matches(".*(java\\.|Exception).*"), usage.toString());
            List<String> stop = enter(tmux, "stop 9999");
            assertEquals(List.of("error: stop 9999: no such bundle"), stop);

            // Pasted lines, a statement over several lines, and a line of 100,000 characters.
            tmux.paste("echo one\necho two\neach [1 2] {\n  echo item$it\n}\n");
            tmux.press("Enter");
            tmux.await(s -> s.contains("\nitem2\n") && lines(s).get(lines(s).size() - 1).equals(PROMPT.strip()),
                    STEP_MS, "the pasted lines run");
            String huge = "y".repeat(100_000);
            tmux.paste("echo " + huge);
            tmux.press("Enter");
            tmux.await(s -> s.contains("\n" + huge + "\n"), 60_000, "the 100,000 characters echoed");
            assertEquals(List.of("still here"), enter(tmux, "echo 'still here'"));

            noStackTrace(tmux.screen());
            assertEquals(null, tmux.exitStatus(), "the console is still running");
            tmux.press("C-d");
            assertEquals(Integer.valueOf(0), tmux.awaitExit(STEP_MS), "Ctrl-D leaves with status 0");
        }
    }

    @Test
    void exitLeavesWithItsStatusAndNothingElse() throws Exception {
        try (Tmux tmux = console()) {
            tmux.await(s -> s.contains(PROMPT.strip()), START_MS, "the first prompt");
            tmux.type("exit 3");
            tmux.press("Enter");
            assertEquals(Integer.valueOf(3), tmux.awaitExit(STEP_MS));
            String screen = tmux.screen();
            noStackTrace(screen);
            assertEquals(PROMPT + "exit 3", lines(screen).get(lines(screen).size() - 1), "nothing printed after it");
        }
    }

    /**
     * Ctrl-C during a 900 MiB write: the prompt comes back with the terminal's output
     * intact. Within a second, with the file a whole number of 64 KiB pieces below 900
     * MiB, once storage.shell's pwrite checks the cancel flag.
     */
    @Test
    void ctrlCDuringAWriteBringsThePromptBack() throws Exception {
        try (Tmux tmux = console()) {
            tmux.await(s -> s.contains(PROMPT.strip()), START_MS, "the first prompt");
            String write = "storage:io default /big \"pwrite 0 900m\"";
            tmux.type(write);
            tmux.press("Enter");
            Thread.sleep(700);
            Assumptions.assumeFalse(promptAfter(tmux.screen(), write), "the write ended within 0.7 s: too fast to stop");
            long pressed = System.nanoTime();
            tmux.press("C-c");
            String screen = tmux.await(s -> promptAfter(s, write), 120_000, "the prompt after Ctrl-C");
            long ms = (System.nanoTime() - pressed) / 1_000_000;
            List<String> out = output(screen, write);
            List<String> stat = enter(tmux, "storage:io default /big stat");
            assertTrue(stat.size() > 1 && stat.get(0).startsWith("size "), "later output is visible: " + stat);
            long size = Long.parseLong(stat.get(0).substring("size ".length()));
            noStackTrace(tmux.screen());
            assertFalse(out.contains("wrote 943718400/943718400 bytes at offset 0"),
                    "storage.shell's pwrite checks ConsoleSession.CANCEL: the write ran to its end (" + ms + " ms)");
            assertEquals("interrupted", out.get(out.size() - 1), "after what the write drew: " + out);
            assertTrue(ms < 1_000, "the prompt came back " + ms + " ms after Ctrl-C");
            assertTrue(size < 900 * MIB && size % (64 * 1024) == 0, "size " + size);
        }
    }

    /** Completion of storage command arguments from storage.shell's CommandCompletion service. */
    @Test
    void storageArgumentsCompleteFromTheShellsService() throws Exception {
        try (Tmux tmux = console()) {
            tmux.await(s -> s.contains(PROMPT.strip()), START_MS, "the first prompt");
            enter(tmux, "storage:io default /hello \"pwrite 0 4k\"");
            assertTrue(shellCompletes(tmux), "storage.shell registers its CommandCompletion service");
            tmux.type("storage:df ");
            tmux.press("Tab");
            tmux.await(s -> editing(s).equals(PROMPT + "storage:df default"), STEP_MS, "the volume name completed");
            clear(tmux);
            tmux.type("storage:io default /");
            tmux.press("Tab");
            tmux.await(s -> editing(s).startsWith(PROMPT + "storage:io default /hello") || s.contains("/hello"),
                    STEP_MS, "paths offered");
            clear(tmux);
            tmux.type("storage:io default /hello \"pw");
            tmux.press("Tab");
            tmux.await(s -> editing(s).startsWith(PROMPT + "storage:io default /hello \"pwrite"), STEP_MS,
                    "the io sub-command completed inside its quote");
            clear(tmux);
            noStackTrace(tmux.screen());
        }
    }

    /** SIGINT (Ctrl-C in the terminal) during a -c run: 'interrupted', status 130, nothing after it runs. */
    @Test
    void ctrlCDuringACommandRunEndsItWith130() throws Exception {
        try (Tmux tmux = run("-c", "echo ready; storage:io default /big \"pwrite 0 900m\"; echo after")) {
            awaitReady(tmux);
            Thread.sleep(500);
            Assumptions.assumeTrue(tmux.exitStatus() == null, "the write ended within 0.5 s: too fast to stop");
            tmux.press("C-c");
            assertEquals(Integer.valueOf(130), tmux.awaitExit(120_000));
            String screen = tmux.screen();
            // the terminal echoes the key as ^C (ECHOCTL) on the line the message then ends
            assertTrue(lines(screen).stream().anyMatch(l -> l.equals("interrupted") || l.equals("^Cinterrupted")),
                    Tmux.tail(screen));
            assertFalse(lines(screen).contains("after"), Tmux.tail(screen));
            noStackTrace(screen);
        }
        // A command that ignores the flag: the second Ctrl-C leaves at once.
        try (Tmux tmux = run("-c", "echo ready; sleep 60; echo after")) {
            awaitReady(tmux);
            tmux.press("C-c");
            Thread.sleep(300);
            long pressed = System.nanoTime();
            tmux.press("C-c");
            assertEquals(Integer.valueOf(130), tmux.awaitExit(STEP_MS));
            assertTrue((System.nanoTime() - pressed) / 1_000_000 < 10_000);
            assertFalse(lines(tmux.screen()).contains("after"));
        }
    }

    private static void awaitReady(Tmux tmux) throws Exception {
        tmux.await(s -> lines(s).contains("ready"), START_MS, "the run to start");
    }
}
