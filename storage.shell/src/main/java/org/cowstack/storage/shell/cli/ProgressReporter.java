package org.cowstack.storage.shell.cli;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.ConsoleSession;

/**
 * The one progress reporter of long work (a data copy, a large write, read or checksum;
 * later scrub and backup), and its cancellation point. A command makes one from its
 * session ({@link #of(CommandSession)}) and starts a {@link Progress} per piece of work.
 *
 * <p>On an interactive console ({@link ConsoleSession#INTERACTIVE} is {@code TRUE}) a
 * bar is drawn on the session's error stream, redrawn in place with {@code \r} at most
 * every {@value #REDRAW_MS} ms once the work has run {@value #DELAY_MS} ms, as wide as
 * {@link ConsoleSession#WIDTH} says, and erased when the work ends; otherwise nothing is
 * drawn, so scripts and pipes stay clean.
 *
 * <p>Cancellation: {@link Progress#advance} and {@link Progress#checkpoint} look at the
 * {@code AtomicBoolean} a console put under {@link ConsoleSession#CANCEL}; once it is set
 * they throw {@link java.io.InterruptedIOException} {@code interrupted} there, between two
 * pieces of I/O, so the work stops with exactly the pieces done so far. Without the
 * variable (a plain Gogo session) nothing is ever cancelled.
 */
public final class ProgressReporter {
    /** Work from this many bytes on is worth a bar: 64 MiB. */
    public static final long LARGE = 64L << 20;
    /** Redraw at most this often. */
    public static final long REDRAW_MS = 100;
    /** Draw nothing before the work has run this long (a short copy never flashes a bar). */
    public static final long DELAY_MS = 250;
    private static final int DEFAULT_WIDTH = 80;

    /** Draws nothing and cancels nothing. */
    public static final ProgressReporter QUIET = new ProgressReporter(null, false, DEFAULT_WIDTH, null,
            System::nanoTime);

    private final PrintStream out;
    private final boolean interactive;
    private final int width;
    private final AtomicBoolean cancel;
    private final LongSupplier nanos;

    /**
     * @param out         where the bar is drawn (null: nowhere)
     * @param interactive whether to draw at all
     * @param width       the terminal's columns
     * @param cancel      set when the work is to stop; null: never
     * @param nanoClock   {@link System#nanoTime()}, or a test's clock
     */
    public ProgressReporter(PrintStream out, boolean interactive, int width, AtomicBoolean cancel,
            LongSupplier nanoClock) {
        this.out = out;
        this.interactive = interactive && out != null;
        this.width = width > 0 ? width : DEFAULT_WIDTH;
        this.cancel = cancel;
        this.nanos = nanoClock;
    }

    /**
     * The reporter of a command run in {@code session}: the console's cancel flag, whether
     * it is interactive and its width; the bar goes to {@code System.err}, which Gogo
     * points at the session's error stream while the command runs.
     */
    public static ProgressReporter of(CommandSession session) {
        if (session == null) {
            return QUIET;
        }
        Object c = session.get(ConsoleSession.CANCEL);
        Object i = session.get(ConsoleSession.INTERACTIVE);
        Object w = session.get(ConsoleSession.WIDTH);
        return new ProgressReporter(System.err, Boolean.TRUE.equals(i), w instanceof Integer ? (Integer) w : 0,
                c instanceof AtomicBoolean ? (AtomicBoolean) c : null, System::nanoTime);
    }

    /** Work of {@code total} bytes that shows a bar on an interactive console. */
    public Progress start(String label, long total) {
        return new Progress(this, label, total, interactive);
    }

    /**
     * Work watched from the middle (a scrub running in the background): {@code alreadyDone}
     * bytes count toward the bar, not toward the rate.
     */
    public Progress start(String label, long total, long alreadyDone) {
        return new Progress(this, label, total, alreadyDone, interactive);
    }

    /** Work that shows nothing but can be cancelled. */
    public Progress silent(String label, long total) {
        return new Progress(this, label, total, false);
    }

    /**
     * Work that shows a bar only when it is {@link #LARGE}: the rule of {@code storage:io}'s
     * pwrite, pread and md5sum.
     */
    public Progress startIfLarge(String label, long total) {
        return total >= LARGE ? start(label, total) : silent(label, total);
    }

    boolean cancelled() {
        return cancel != null && cancel.get();
    }

    PrintStream out() {
        return out;
    }

    int width() {
        return width;
    }

    long now() {
        return nanos.getAsLong();
    }
}
