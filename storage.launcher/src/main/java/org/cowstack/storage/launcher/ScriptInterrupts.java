package org.cowstack.storage.launcher;

import java.util.function.BooleanSupplier;

import org.cowstack.storage.shell.console.ConsoleSession;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT while a {@code -c} command, a script or piped input runs: the first one asks the
 * running statement to stop at its next clean point ({@link ScriptRunner#cancel()}, and
 * the run exits {@value ConsoleSession#INTERRUPTED_STATUS}); a second one, or one while no
 * statement runs, leaves as the JVM's own handler does: {@code System.exit(130)}, and
 * the shutdown hook stops the framework in order.
 *
 * <p>{@code sun.misc.Signal} (jdk.unsupported) is what the JVM itself handles SIGINT
 * with; the interactive console gets SIGINT through JLine's terminal instead. Where
 * SIGINT was ignored when the JVM started (a background job of a non-interactive
 * shell), the JVM keeps ignoring it and so does this.
 */
final class ScriptInterrupts implements AutoCloseable {
    private static final Signal INT = new Signal("INT");

    private final SignalHandler previous;

    private ScriptInterrupts(SignalHandler previous) {
        this.previous = previous;
    }

    /** Installs the handler; {@code cancel} returns false when there was nothing to cancel. */
    static ScriptInterrupts install(BooleanSupplier cancel) {
        try {
            return new ScriptInterrupts(Signal.handle(INT, signal -> {
                if (!cancel.getAsBoolean()) {
                    System.exit(ConsoleSession.INTERRUPTED_STATUS);
                }
            }));
        } catch (IllegalArgumentException e) {
            return new ScriptInterrupts(null); // SIGINT is not the JVM's to handle here
        }
    }

    @Override
    public void close() {
        if (previous != null) {
            try {
                Signal.handle(INT, previous);
            } catch (IllegalArgumentException e) {
                // Left as it is.
            }
        }
    }
}
