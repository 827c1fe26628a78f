package org.cowstack.storage.shell.console;

/**
 * Gogo session variables a console sets for the storage commands it runs.
 *
 * <p><b>Cancellation.</b> Before each command line the console puts a fresh
 * {@link java.util.concurrent.atomic.AtomicBoolean} under {@link #CANCEL}, and sets it
 * on Ctrl-C (interactive) or SIGINT ({@code -c}, scripts). A long command checks it
 * between pieces of I/O (never in the middle of one: a thread interrupted inside a
 * {@code FileChannel} operation closes the channel, so consoles never use
 * {@code Thread.interrupt} for this) and, when it is set, stops there, leaving exactly
 * what it did so far (as a failed write leaves a prefix), and throws
 * {@link java.io.InterruptedIOException} with the message {@code interrupted}. The
 * console prints {@code interrupted}; a {@code -c} or script run then exits with
 * status {@value #INTERRUPTED_STATUS}.
 *
 * <p><b>Progress.</b> {@link #INTERACTIVE} is {@code Boolean.TRUE} when the console is
 * a terminal a progress bar may be redrawn on in place; otherwise long commands print
 * nothing, or one final line, so scripts stay readable. {@link #WIDTH} is the
 * terminal's width in columns, an {@link Integer}, when known.
 */
public final class ConsoleSession {
    /** An {@code AtomicBoolean}: set when the running command is to stop at its next clean point. */
    public static final String CANCEL = "storage.cancel";
    /** A {@code Boolean}: progress may be drawn in place. */
    public static final String INTERACTIVE = "storage.interactive";
    /** An {@code Integer}: the terminal's width in columns. */
    public static final String WIDTH = "storage.width";
    /** Exit status of a {@code -c} or script run stopped by SIGINT, as a shell's 128 + 2. */
    public static final int INTERRUPTED_STATUS = 130;

    private ConsoleSession() {
    }
}
