package org.cowstack.storage.shell.cli;

import java.io.InterruptedIOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.ByteSize;

/**
 * One piece of long work under a {@link ProgressReporter}: bytes done of a total, the
 * rate and the time left, and the point where it may be cancelled. Not thread safe: the
 * thread doing the work calls it.
 *
 * <pre>
 * try (Progress p = reporter.start("cp /a", size)) {
 *     for (...) {
 *         p.checkpoint();          // before a piece: cancelled yet?
 *         write(piece);
 *         p.advance(piece.length); // after it: draw, and cancelled yet?
 *     }
 * }
 * </pre>
 */
public final class Progress implements AutoCloseable {
    private final ProgressReporter reporter;
    private final String label;
    private final long total;
    private final boolean draw;
    private final long started;
    /** Bytes done before this progress started (a scrub watched half-way): not part of the rate. */
    private final long base;
    private long done;
    private long lastDraw;
    private int drawnLength = -1;

    Progress(ProgressReporter reporter, String label, long total, boolean draw) {
        this(reporter, label, total, 0, draw);
    }

    Progress(ProgressReporter reporter, String label, long total, long alreadyDone, boolean draw) {
        this.reporter = reporter;
        this.label = label;
        this.total = Math.max(0, total);
        this.draw = draw;
        this.started = reporter.now();
        this.base = Math.max(0, alreadyDone);
        this.done = this.base;
    }

    /** Bytes done so far. */
    public long done() {
        return done;
    }

    /**
     * Records {@code bytes} more done, redraws the bar when it is due, then stops if the
     * work was cancelled.
     *
     * @throws InterruptedIOException {@code interrupted}, after erasing the bar, when cancelled
     */
    public void advance(long bytes) throws InterruptedIOException {
        done += bytes;
        if (draw) {
            long now = reporter.now();
            long sinceStart = now - started;
            if (sinceStart >= TimeUnit.MILLISECONDS.toNanos(ProgressReporter.DELAY_MS)
                    && (drawnLength < 0 || now - lastDraw >= TimeUnit.MILLISECONDS.toNanos(ProgressReporter.REDRAW_MS))) {
                redraw(now);
            }
        }
        checkpoint();
    }

    /**
     * Stops here if the work was cancelled: a clean point between two pieces of I/O.
     *
     * @throws InterruptedIOException {@code interrupted}, with the bytes done so far, when cancelled
     */
    public void checkpoint() throws InterruptedIOException {
        if (reporter.cancelled()) {
            close();
            InterruptedIOException e = new InterruptedIOException("interrupted");
            e.bytesTransferred = (int) Math.min(done, Integer.MAX_VALUE);
            throw e;
        }
    }

    /** Erases the bar, if one was drawn; the work's own result line follows on a clean line. */
    @Override
    public void close() {
        if (drawnLength >= 0) {
            reporter.out().print("\r" + " ".repeat(drawnLength) + "\r");
            reporter.out().flush();
            drawnLength = -1;
        }
    }

    private void redraw(long now) {
        String line = line(now);
        int pad = Math.max(0, drawnLength - line.length());
        reporter.out().print("\r" + line + " ".repeat(pad));
        reporter.out().flush();
        drawnLength = line.length();
        lastDraw = now;
    }

    /** The bar as drawn at {@code now}: label, bar, percent, bytes, rate, time left; at most width - 1 columns. */
    String line(long now) {
        double seconds = Math.max(0, now - started) / 1e9;
        long rate = seconds > 0 ? (long) ((done - base) / seconds) : 0;
        int percent = total > 0 ? (int) Math.min(100, done * 100 / total) : 0;
        String eta = rate > 0 && total >= done ? clock((total - done) / rate) : "--:--";
        String right = String.format(Locale.ROOT, " %3d%%  %s/%s  %s/s  ETA %s", percent, ByteSize.format(done),
                ByteSize.format(total), ByteSize.format(rate), eta);
        int columns = reporter.width() - 1;
        int barWidth = columns - label.length() - right.length() - 3;
        StringBuilder line = new StringBuilder(label);
        if (barWidth >= 10) {
            int fill = total > 0 ? (int) (barWidth * Math.min(done, total) / total) : 0;
            line.append(" [").append("=".repeat(fill));
            if (fill < barWidth) {
                line.append('>').append(" ".repeat(barWidth - fill - 1));
            }
            line.append(']');
        }
        line.append(right);
        return line.length() > columns ? line.substring(0, Math.max(0, columns)) : line.toString();
    }

    private static String clock(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
