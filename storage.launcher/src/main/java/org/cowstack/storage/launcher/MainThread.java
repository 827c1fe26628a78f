package org.cowstack.storage.launcher;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.CommandCompletion;
import org.cowstack.storage.shell.console.ConsoleSession;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The executable jar's main thread. The bnd launcher registers the command line as the
 * {@value #ARGUMENTS} property of a service once every bundle has started, and calls
 * the {@code main.thread} {@link Callable} it finds; the Integer returned is the
 * process exit status, and the launcher stops the framework cleanly before exiting.
 *
 * <ul>
 * <li>no arguments, on a terminal: the interactive {@link Console} (JLine line editing
 * and completion over a Gogo session), until {@code exit} or Ctrl-D;</li>
 * <li>no arguments, input piped: the input is a script;</li>
 * <li>{@code -c "cmd; cmd"}: the commands;</li>
 * <li>{@code FILE}: the script file.</li>
 * </ul>
 * The assembly starts this bundle in a start level of its own after all others
 * ({@code storage.bndrun}), so every command is registered when {@link #call()} runs.
 * Non-interactive runs print each command's result, and exit 0, or 1 after one error
 * line at the first failing command, or 130 after a SIGINT ({@link ScriptInterrupts}).
 * The framework property {@code gosh.args} is {@code --nointeractive} in the assembly, so
 * that Gogo's own console never competes for the terminal.
 */
@Component(service = Callable.class, property = "main.thread=true")
public final class MainThread implements Callable<Integer> {
    static final String ARGUMENTS = "launcher.arguments";
    /** How long an exiting JVM waits for the framework to stop. */
    private static final long STOP_TIMEOUT_MS = 30_000;
    private static final String USAGE = "usage: storage [-c \"COMMAND; COMMAND...\" | SCRIPT-FILE]";

    @Reference
    private CommandProcessor processor;

    /** Completion of storage commands (storage.shell's), any number, as they come and go. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<CommandCompletion> completions;

    /** The bnd launcher's own registration; it carries the command line. */
    @Reference(service = Object.class, target = "(" + ARGUMENTS + "=*)")
    private Map<String, Object> launcher;

    @Reference(service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL)
    private volatile Logger logger;

    private BundleContext context;
    private Thread stopOnExit;
    /** Set by the shutdown hook: the JVM is exiting, whatever asked for it. */
    private volatile boolean exiting;

    /**
     * Stops the framework when the JVM is asked to exit some other way (Gogo's
     * {@code exit}, Ctrl-C, SIGTERM), so bundles still stop in order and volumes unmount
     * cleanly instead of being cut off.
     */
    @Activate
    void activate(BundleContext context) {
        this.context = context;
        Bundle system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        stopOnExit = new Thread(() -> {
            exiting = true;
            stopAndWait(system);
        }, "storage: stop framework on JVM exit");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    @Deactivate
    void deactivate() {
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException e) {
            // The JVM is exiting and the hook is what stops us: nothing to undo.
        }
    }

    private static void stopAndWait(Bundle system) {
        try {
            system.stop();
            if (system instanceof Framework) {
                ((Framework) system).waitForStop(STOP_TIMEOUT_MS);
            }
        } catch (BundleException | IllegalStateException e) {
            // Already stopping or stopped.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Integer call() throws Exception {
        String[] args = (String[]) launcher.get(ARGUMENTS);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, Charset.defaultCharset());
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, Charset.defaultCharset());
        InputStream in = new FileInputStream(FileDescriptor.in);
        if (args.length == 0 && System.console() != null) {
            return interactive();
        }
        CommandSession session = processor.createSession(in, out, err);
        session.put("SCOPE", Console.SCOPE);
        session.put(ConsoleSession.INTERACTIVE, Boolean.FALSE);
        ScriptRunner runner = new ScriptRunner(session, out, err, this::logUnexpected, () -> exiting);
        try (ScriptInterrupts interrupts = ScriptInterrupts.install(runner::cancel)) {
            if (args.length == 0) {
                return runner.run(new BufferedReader(new InputStreamReader(in, Charset.defaultCharset())), "stdin");
            }
            if ("-c".equals(args[0]) || "--command".equals(args[0])) {
                if (args.length < 2) {
                    err.println("error: -c needs the commands to run; " + USAGE);
                    return ScriptRunner.FAILED;
                }
                return runner.run(String.join(" ", Arrays.copyOfRange(args, 1, args.length)), null);
            }
            if ("-h".equals(args[0]) || "--help".equals(args[0])) {
                out.println(USAGE);
                return ScriptRunner.OK;
            }
            if (args[0].startsWith("-") || args.length > 1) {
                err.println("error: unexpected argument " + String.join(" ", args) + "; " + USAGE);
                return ScriptRunner.FAILED;
            }
            Path script = Path.of(args[0]);
            String text;
            try {
                text = Files.readString(script, Charset.defaultCharset());
            } catch (NoSuchFileException e) {
                err.println("error: no such script file: " + script);
                return ScriptRunner.FAILED;
            } catch (IOException e) {
                err.println("error: cannot read script file " + script + ": " + e.getMessage());
                return ScriptRunner.FAILED;
            }
            return runner.run(text, script.getFileName().toString());
        } finally {
            session.close();
        }
    }

    /** The console on a real terminal; the framework keeps running until it returns. */
    private int interactive() throws Exception {
        // exec(true)/dumb(false) override the framework-wide properties that keep
        // gogo.jline's own console thread on a dumb terminal; JLine's native signals bring
        // Ctrl-C to the console instead of ending the JVM.
        try (Terminal terminal = TerminalBuilder.builder()
                .system(true)
                .exec(true)
                .dumb(false)
                .nativeSignals(true)
                .signalHandler(Terminal.SignalHandler.SIG_IGN)
                .build()) {
            return new Console(processor, terminal, () -> completions == null ? List.of() : completions,
                    this::bundles, history(), () -> exiting, this::logUnexpected).run();
        }
    }

    private Bundle[] bundles() {
        try {
            return context.getBundles();
        } catch (IllegalStateException e) {
            return new Bundle[0]; // stopping
        }
    }

    /** The console's history file in STORAGE_HOME, or none when the home is not known. */
    private Path history() {
        String home = context.getProperty("storage.home");
        return home == null || home.isBlank() ? null : Path.of(home, "history");
    }

    private void logUnexpected(Throwable e) {
        Logger l = logger;
        if (l != null) {
            l.error("command failed unexpectedly", e);
        }
    }
}
