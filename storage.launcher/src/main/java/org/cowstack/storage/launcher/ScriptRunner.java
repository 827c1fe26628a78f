package org.cowstack.storage.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.apache.felix.gogo.runtime.CommandNotFoundException;
import org.apache.felix.gogo.runtime.EOFError;
import org.apache.felix.gogo.runtime.Parser;
import org.apache.felix.gogo.runtime.SyntaxError;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.cowstack.storage.shell.console.ConsoleSession;

/**
 * Runs Gogo programs without a console: statement by statement, printing each result
 * as the interactive shell would, and stopping at the first failure with one error line
 * and no stack trace.
 *
 * <p>Each statement gets a fresh flag under {@link ConsoleSession#CANCEL}; {@link #cancel()}
 * (SIGINT) sets the running statement's, the statement stops at its next clean point,
 * and the run ends there with {@code interrupted} and status
 * {@value ConsoleSession#INTERRUPTED_STATUS}.
 *
 * <p>Gogo's own {@code gosh -c} prints only echoed values and waits forever after a
 * failing command; this is the dependable replacement the executable needs.
 */
final class ScriptRunner {
    /** Exit status of a run that completed. */
    static final int OK = 0;
    /** Exit status after the first failing statement. */
    static final int FAILED = 1;
    /** Exit status of a run stopped by SIGINT. */
    static final int INTERRUPTED = ConsoleSession.INTERRUPTED_STATUS;

    private final CommandSession session;
    private final PrintStream out;
    private final PrintStream err;
    private final Consumer<Throwable> unexpected;
    private final BooleanSupplier exiting;
    /** The running statement's cancel flag, or null between statements. */
    private volatile AtomicBoolean running;

    /**
     * @param unexpected told about failures that are bugs rather than bad input (a
     *                   NullPointerException in a command), with their stack trace, for the log
     * @param exiting    true once the JVM is exiting (Gogo's {@code exit} is
     *                   {@code System.exit}): the framework stopping under a statement
     *                   then interrupts it, which is the user's wish, not an error
     */
    ScriptRunner(CommandSession session, PrintStream out, PrintStream err, Consumer<Throwable> unexpected,
            BooleanSupplier exiting) {
        this.session = session;
        this.out = out;
        this.err = err;
        this.unexpected = unexpected;
        this.exiting = exiting;
    }

    /**
     * Runs a whole program.
     *
     * @param source where it came from, for error lines: {@code null} for {@code -c}, a file name for scripts
     */
    int run(CharSequence program, String source) {
        List<Parser.Executable> statements;
        try {
            statements = new Parser(program).program().tokens();
        } catch (SyntaxError e) {
            err.println(prefix(source, e.line() + 1) + "syntax error: " + e.getMessage());
            return FAILED;
        }
        for (Parser.Executable statement : statements) {
            int status = execute(statement, source, statement.line() + 1);
            if (status != OK) {
                return status;
            }
        }
        return OK;
    }

    /**
     * Asks the running statement to stop at its next clean point (SIGINT).
     *
     * @return false when no statement runs, or one was asked already: the caller then
     *         leaves the way a SIGINT always did
     */
    boolean cancel() {
        AtomicBoolean flag = running;
        return flag != null && flag.compareAndSet(false, true);
    }

    /**
     * Runs statements as lines arrive (piped input), each as soon as it is complete, so
     * that a long pipe shows results as it goes.
     */
    int run(BufferedReader lines, String source) throws IOException {
        StringBuilder pending = new StringBuilder();
        int firstLine = 1;
        int lineNumber = 0;
        for (String line; (line = lines.readLine()) != null; ) {
            lineNumber++;
            pending.append(line).append('\n');
            List<Parser.Executable> statements;
            try {
                statements = new Parser(pending).program().tokens();
            } catch (EOFError e) {
                continue; // an open quote, brace or bracket: the statement goes on
            } catch (SyntaxError e) {
                err.println(prefix(source, firstLine + e.line()) + "syntax error: " + e.getMessage());
                return FAILED;
            }
            for (Parser.Executable statement : statements) {
                int status = execute(statement, source, firstLine + statement.line());
                if (status != OK) {
                    return status;
                }
            }
            pending.setLength(0);
            firstLine = lineNumber + 1;
        }
        if (pending.toString().isBlank()) {
            return OK;
        }
        err.println(prefix(source, firstLine) + "syntax error: input ends inside a statement");
        return FAILED;
    }

    private int execute(CharSequence statement, String source, int line) {
        AtomicBoolean cancel = new AtomicBoolean();
        session.put(ConsoleSession.CANCEL, cancel);
        running = cancel;
        try {
            Object result = session.execute(statement);
            if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
            out.flush();
            return cancel.get() ? interrupted() : OK;
        } catch (Exception e) {
            out.flush();
            if (exiting.getAsBoolean()) {
                return FAILED;
            }
            if (cancel.get()) {
                if (!isInterruption(e)) {
                    err.println(prefix(source, line) + describe(e));
                }
                return interrupted();
            }
            err.println(prefix(source, line) + describe(e));
            err.flush();
            return FAILED;
        } finally {
            running = null;
        }
    }

    private int interrupted() {
        err.println("interrupted");
        err.flush();
        return INTERRUPTED;
    }

    /** Whether a failure is a command stopping because it was asked to (the contract's InterruptedIOException). */
    static boolean isInterruption(Throwable failure) {
        Throwable e = unwrap(failure);
        return e instanceof InterruptedIOException || e instanceof InterruptedException;
    }

    private static String prefix(String source, int line) {
        return source == null ? "error: " : "error: " + source + ":" + line + ": ";
    }

    /** One line saying what went wrong, without a stack trace. */
    String describe(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof CommandNotFoundException) {
            return "command not found: " + ((CommandNotFoundException) e).getCommand();
        }
        String message = e.getMessage() == null || e.getMessage().isBlank() ? null : e.getMessage().strip();
        String reason = fileSystemReason(e);
        if (reason != null) {
            message = ((java.nio.file.FileSystemException) e).getFile() + ": " + reason;
        }
        boolean expected = e instanceof IOException || e instanceof IllegalArgumentException
                || e instanceof IllegalStateException || e instanceof UnsupportedOperationException
                || e instanceof SyntaxError || e instanceof SecurityException
                || e instanceof org.osgi.framework.BundleException;
        if (!expected) {
            unexpected.accept(e);
        }
        String text = message == null ? e.getClass().getSimpleName()
                : expected ? message : e.getClass().getSimpleName() + ": " + message;
        if (!expected) {
            text = "internal error: " + text + " (stack trace in the log: 'log' command)";
        }
        return oneLine(text);
    }

    /** The words the JDK's file-system exceptions leave out: their message is only the path. */
    private static String fileSystemReason(Throwable e) {
        if (!(e instanceof java.nio.file.FileSystemException)
                || ((java.nio.file.FileSystemException) e).getReason() != null) {
            return null;
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof java.nio.file.DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof java.nio.file.NotDirectoryException) {
            return "not a directory";
        }
        return null;
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof InvocationTargetException || e instanceof UndeclaredThrowableException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static String oneLine(String text) {
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline) + " ...").replace('\r', ' ');
    }
}
