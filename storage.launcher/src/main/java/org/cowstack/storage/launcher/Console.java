package org.cowstack.storage.launcher;

import java.io.FilterOutputStream;
import java.io.IOError;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Function;
import org.cowstack.storage.shell.console.CommandCompletion;
import org.cowstack.storage.shell.console.ConsoleSession;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.osgi.framework.Bundle;

/**
 * The interactive console: our own loop of a JLine {@link LineReader} over a Gogo
 * session, in place of gogo.jline's, so that no input can end it.
 *
 * <ul>
 * <li>Lines are accepted or continued by Gogo's parser ({@link GogoLineParser}); Tab is
 * {@link ConsoleCompleter}, which never throws; no highlighter parses the line while it
 * is drawn (gogo.jline's did, and a Tab inside an open quote ended the process).</li>
 * <li>Each line runs on this thread with a fresh flag under
 * {@link ConsoleSession#CANCEL}; Ctrl-C (SIGINT from the terminal) sets it and nothing
 * else (never {@code Thread.interrupt}, which closes FileChannels under the engine and
 * left gogo.jline's console writing nowhere): the command stops at its next clean point,
 * the console prints {@code interrupted} and the prompt comes back. A command that does
 * not look at the flag (Gogo's {@code sleep}) runs on: a second Ctrl-C says so, a third
 * leaves the console with status 130, the framework stopping in order. Ctrl-C at the
 * prompt discards the line; Ctrl-D on an empty line (or {@code exit}) leaves with status
 * 0.</li>
 * <li>A failure is one line, {@code error: ...}, as in scripts
 * ({@link ScriptRunner#describe}); {@code e} prints the last one's stack trace.</li>
 * </ul>
 */
final class Console {
    /** The command scopes searched for an unscoped name, as the console profile always had them. */
    static final String SCOPE = "storage:gogo:*";
    static final String PROMPT = "storage> ";
    private static final String BANNER = "cowstack storage: 'help' lists commands, 'help storage:csum' explains one;"
            + " Tab completes; Ctrl-C stops a command; Ctrl-D or 'exit' quits.";
    /** Consecutive failures of the terminal itself after which the console gives up. */
    private static final int BROKEN_TERMINAL = 10;

    private final CommandProcessor processor;
    private final Terminal terminal;
    private final Supplier<List<CommandCompletion>> completions;
    private final Supplier<Bundle[]> bundles;
    private final Path history;
    private final BooleanSupplier exiting;
    private final Consumer<Throwable> unexpected;
    /** The running command, or null at the prompt. */
    private final AtomicReference<Running> running = new AtomicReference<>();

    /** A command line being run: its cancel flag and how often Ctrl-C was pressed during it. */
    private static final class Running {
        final AtomicBoolean cancel = new AtomicBoolean();
        final AtomicInteger presses = new AtomicInteger();
    }

    /**
     * @param history  the history file, or null for none
     * @param exiting  true once the JVM exits ({@code exit N}): the framework stopping under
     *                 a command is then no error
     */
    Console(CommandProcessor processor, Terminal terminal, Supplier<List<CommandCompletion>> completions,
            Supplier<Bundle[]> bundles, Path history, BooleanSupplier exiting, Consumer<Throwable> unexpected) {
        this.processor = processor;
        this.terminal = terminal;
        this.completions = completions;
        this.bundles = bundles;
        this.history = history;
        this.exiting = exiting;
        this.unexpected = unexpected;
    }

    /** Runs until Ctrl-D, {@code exit} or the JVM exiting; returns the exit status. */
    int run() {
        LineStart output = new LineStart(terminal.output());
        PrintStream out = new PrintStream(output, true, terminal.encoding());
        CommandSession session = processor.createSession(terminal.input(), out, out);
        ExecutorService helper = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "storage: console completion");
            t.setDaemon(true);
            return t;
        });
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, signal -> interrupt(out));
        try {
            ScriptRunner errors = new ScriptRunner(session, out, out, unexpected, exiting);
            LineReader reader = reader(session, helper);
            prepare(session, reader);
            quietControlCharacters();
            out.println(BANNER);
            int broken = 0;
            while (!exiting.getAsBoolean()) {
                String line;
                try {
                    if (!output.atLineStart()) {
                        out.println();
                    }
                    line = reader.readLine(PROMPT);
                    broken = 0;
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C at the prompt: the line is dropped
                } catch (EndOfFileException e) {
                    return ScriptRunner.OK;
                } catch (RuntimeException | IOError e) {
                    if (exiting.getAsBoolean()) {
                        break;
                    }
                    unexpected.accept(e);
                    if (++broken >= BROKEN_TERMINAL) {
                        out.println("error: the terminal fails (" + e + "); leaving");
                        return ScriptRunner.FAILED;
                    }
                    continue;
                }
                output.reset();
                if (line.isBlank()) {
                    continue;
                }
                if ("exit".equals(line.strip())) {
                    return ScriptRunner.OK;
                }
                execute(session, errors, out, output, line);
            }
            return ScriptRunner.OK;
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            helper.shutdown();
            session.close();
        }
    }

    /** Ctrl-C while a command runs (the line editor handles it at the prompt). */
    private void interrupt(PrintStream out) {
        Running command = running.get();
        if (command == null) {
            return;
        }
        command.cancel.set(true);
        int presses = command.presses.incrementAndGet();
        if (presses == 2) {
            out.println();
            out.println("(the command stops at its next clean point; Ctrl-C once more leaves storage)");
        } else if (presses >= 3) {
            System.exit(ConsoleSession.INTERRUPTED_STATUS); // the shutdown hook stops the framework in order
        }
    }

    private LineReader reader(CommandSession session, ExecutorService helper) {
        LineReaderBuilder builder = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("storage")
                .parser(new GogoLineParser())
                .completer(new ConsoleCompleter(session, completions, bundles, helper))
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "%M> ")
                .variable(LineReader.HISTORY_SIZE, 1000)
                // '!' is Gogo's, not history expansion; Tab on an empty line completes.
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.INSERT_TAB, false)
                .option(LineReader.Option.GROUP, true)
                .option(LineReader.Option.AUTO_GROUP, true);
        if (history != null) {
            builder.variable(LineReader.HISTORY_FILE, history);
        }
        return builder.build();
    }

    /** Session variables: what Gogo's own commands expect of a console, and the storage contract. */
    private void prepare(CommandSession session, LineReader reader) {
        session.put("SCOPE", SCOPE);
        session.put(".terminal", terminal); // less, nano, ttop, ...
        session.put(".reader", reader); // history, keymap, setopt, ...
        session.put(ConsoleSession.INTERACTIVE, Boolean.TRUE);
        session.put("e", (Function) (s, arguments) -> {
            Object last = s.get("exception");
            if (last instanceof Throwable) {
                ((Throwable) last).printStackTrace(System.out); // the command's out: this console
            }
            return null;
        });
    }

    /** No {@code ^C} echoed into the output of the command it interrupts. */
    private void quietControlCharacters() {
        try {
            Attributes attributes = terminal.getAttributes();
            attributes.setLocalFlag(Attributes.LocalFlag.ECHOCTL, false);
            terminal.setAttributes(attributes);
        } catch (RuntimeException e) {
            // A terminal without the flag: ^C shows, nothing worse.
        }
    }

    private void execute(CommandSession session, ScriptRunner errors, PrintStream out, LineStart output, String line) {
        Running command = new Running();
        AtomicBoolean cancel = command.cancel;
        session.put(ConsoleSession.CANCEL, cancel);
        int width = terminal.getWidth();
        if (width > 0) {
            session.put(ConsoleSession.WIDTH, width);
        }
        running.set(command);
        try {
            Object result = session.execute(line);
            session.put("_", result);
            if (result != null && !Boolean.FALSE.equals(session.get(".Gogo.format"))) {
                out.println(session.format(result, Converter.INSPECT));
            }
        } catch (Throwable e) {
            if (exiting.getAsBoolean()) {
                return; // exit N: the framework stops under the command; nothing to report
            }
            session.put("exception", e);
            out.flush();
            if (!output.atLineStart()) {
                out.println();
            }
            if (cancel.get() && ScriptRunner.isInterruption(e)) {
                out.println("interrupted");
            } else {
                out.println("error: " + errors.describe(e));
            }
        } finally {
            running.set(null);
            out.flush();
        }
    }

    /** The terminal's output, knowing whether the last byte written ended a line. */
    static final class LineStart extends FilterOutputStream {
        private volatile boolean atLineStart = true;

        LineStart(OutputStream out) {
            super(out);
        }

        boolean atLineStart() {
            return atLineStart;
        }

        /** The line editor has just ended its line. */
        void reset() {
            atLineStart = true;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            atLineStart = b == '\n';
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            if (len > 0) {
                atLineStart = b[off + len - 1] == '\n';
            }
        }
    }
}
