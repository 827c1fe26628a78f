package org.cowstack.storage.itest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A terminal for tests: a private tmux server (its own socket, no user configuration)
 * with one pane running a command, driven by keys and read back as text. The pane's
 * command runs under bash, which writes the command's exit status to a file when it
 * ends (bash survives the SIGINTs sent to the pane's process group as long as the command
 * handles them, as the console does).
 */
final class Tmux implements AutoCloseable {
    private static final AtomicInteger SERVERS = new AtomicInteger();

    private final String socket = "storage-it-" + ProcessHandle.current().pid() + "-" + SERVERS.incrementAndGet();
    private final Path status;
    /** The server's configuration: the pane stays when its command ends, so the screen can be read after. */
    private final Path config;

    private Tmux(Path status, Path config) {
        this.status = status;
        this.config = config;
    }

    /** Whether tmux can be run here; null if so, else why not. */
    static String unavailable() {
        try {
            Process p = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "tmux -V failed: " + out.strip();
            }
            return null;
        } catch (IOException | InterruptedException e) {
            return "tmux is not installed (" + e.getMessage() + ")";
        }
    }

    /**
     * Starts {@code command} (words, run as they are) in a terminal of 160 x 50 with
     * STORAGE_HOME set, in directory {@code dir}, which also holds the script and status
     * files.
     */
    static Tmux start(Path dir, Path storageHome, List<String> command) throws Exception {
        Path status = dir.resolve("status-" + SERVERS.get());
        Files.deleteIfExists(status);
        StringBuilder script = new StringBuilder("#!/bin/bash\n");
        script.append("cd ").append(quote(dir.toString())).append('\n');
        script.append("export STORAGE_HOME=").append(quote(storageHome.toString())).append('\n');
        for (String word : command) {
            script.append(quote(word)).append(' ');
        }
        script.append("\necho $? > ").append(quote(status.toString())).append('\n');
        Path file = dir.resolve("run-" + SERVERS.get() + ".sh");
        Files.writeString(file, script);
        Path config = dir.resolve("tmux.conf");
        Files.writeString(config, "set -g remain-on-exit on\nset -g history-limit 50000\n");
        Tmux tmux = new Tmux(status, config);
        tmux.tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", "bash " + quote(file.toString()));
        return tmux;
    }

    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private String tmux(String... args) throws Exception {
        return tmuxWithInput(null, args);
    }

    private String tmuxWithInput(String input, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", socket, "-f", config.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tmux hangs: " + command);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("tmux " + String.join(" ", args) + ": " + out.strip());
        }
        return out;
    }

    /** Types text literally. */
    void type(String text) throws Exception {
        tmux("send-keys", "-t", "t", "-l", text);
    }

    /** Presses keys by tmux's names: Enter, Tab, C-c, C-d. */
    void press(String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", "t"));
        args.addAll(List.of(keys));
        tmux(args.toArray(new String[0]));
    }

    /** Pastes text as a terminal does (bracketed, when the application asked for it). */
    void paste(String text) throws Exception {
        tmuxWithInput(text, "load-buffer", "-b", "test", "-");
        tmux("paste-buffer", "-p", "-d", "-b", "test", "-t", "t");
    }

    /** Everything the pane shows and showed (its history), wrapped lines joined; not tmux's own notes. */
    String screen() throws Exception {
        return tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "t").lines()
                .filter(l -> !l.startsWith("Pane is dead")).collect(java.util.stream.Collectors.joining("\n", "", "\n"));
    }

    /** Waits until the screen satisfies {@code condition}; returns it. */
    String await(Predicate<String> condition, long timeoutMs, String what) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        String screen = "";
        do {
            Integer ended = exitStatus();
            try {
                screen = screen();
            } catch (IllegalStateException e) {
                // The pane is gone with the command.
            }
            if (condition.test(screen)) {
                return screen;
            }
            if (ended != null) {
                throw new AssertionError("the console ended (status " + ended + ") waiting for " + what
                        + "; the screen:\n" + tail(screen));
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no " + what + " within " + timeoutMs + " ms; the screen:\n" + tail(screen));
    }

    /** The command's exit status once it has ended, else null. */
    Integer exitStatus() throws IOException {
        if (!Files.exists(status)) {
            return null;
        }
        String text = Files.readString(status).strip();
        return text.isEmpty() ? null : Integer.valueOf(text);
    }

    Integer awaitExit(long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            Integer s = exitStatus();
            if (s != null) {
                return s;
            }
            Thread.sleep(100);
        }
        return null;
    }

    static String tail(String screen) {
        List<String> lines = screen.lines().map(l -> l.length() > 200 ? l.substring(0, 200) + "..." : l)
                .collect(java.util.stream.Collectors.toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    @Override
    public void close() throws Exception {
        try {
            tmux("kill-server");
        } catch (IllegalStateException e) {
            // The server ended with its last pane.
        }
    }
}
