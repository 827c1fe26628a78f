package org.cowstack.storage.shell.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.ConsoleSession;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final AtomicBoolean cancel = new AtomicBoolean();

    private ProgressReporter reporter(boolean interactive, int width) {
        return new ProgressReporter(out, interactive, width, cancel, clock::get);
    }

    private void tick(long ms) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anInteractiveBarIsRedrawnInPlaceThenErased() throws Exception {
        long total = 100L << 20;
        try (Progress p = reporter(true, 72).start("pwrite /f", total)) {
            for (int i = 0; i < 10; i++) {
                tick(200);
                p.advance(total / 10);
            }
            String drawn = printed();
            assertFalse(drawn.contains("\n"), "redrawn in place, never a new line: " + drawn);
            String[] frames = drawn.split("\r");
            assertEquals(10, frames.length, "a frame per piece after the delay: " + drawn);
            String last = frames[frames.length - 1];
            assertTrue(last.startsWith("pwrite /f ["), last);
            assertTrue(last.contains("100%"), last);
            assertTrue(last.contains("100M/100M"), last);
            assertTrue(last.contains("50M/s"), "100 MiB in 2 s: " + last);
            assertTrue(last.endsWith("ETA 0:00"), last);
            for (String frame : frames) {
                assertTrue(frame.length() <= 71, "fits the 72 columns: '" + frame + "'");
            }
            // the first frame after the delay: 20 MiB in 0.4 s, 80 MiB to go at 50 MiB/s
            assertTrue(frames[1].contains(" 20%  20M/100M  50M/s  ETA 0:01"), frames[1]);
        }
        String all = printed();
        assertTrue(all.endsWith("\r" + " ".repeat(71) + "\r"), "erased at the end: " + all.replace("\r", "\\r"));
    }

    @Test
    void nothingIsDrawnBeforeTheDelayNorMoreOftenThanTheRedrawInterval() throws Exception {
        try (Progress p = reporter(true, 80).start("cp /a", 1000)) {
            p.advance(100);
            tick(ProgressReporter.DELAY_MS - 1);
            p.advance(100);
            assertEquals("", printed(), "a short copy never flashes a bar");
            tick(1);
            p.advance(100);
            int frames = printed().split("\r", -1).length - 1;
            assertEquals(1, frames);
            tick(ProgressReporter.REDRAW_MS - 1);
            p.advance(100);
            assertEquals(1, printed().split("\r", -1).length - 1, "no redraw within " + ProgressReporter.REDRAW_MS + " ms");
        }
    }

    @Test
    void aNarrowTerminalGetsNoBarButTheFigures() throws Exception {
        try (Progress p = reporter(true, 40).start("md5sum /some/long/path", 1 << 20)) {
            tick(500);
            p.advance(1 << 19);
            String line = printed().substring(1);
            assertFalse(line.contains("["), line);
            assertTrue(line.length() <= 39, line);
        }
    }

    @Test
    void notInteractiveMeansNothingPrinted() throws Exception {
        try (Progress p = reporter(false, 80).start("pwrite /f", 1 << 30)) {
            for (int i = 0; i < 100; i++) {
                tick(100);
                p.advance(1 << 20);
            }
        }
        assertEquals("", printed());
        try (Progress p = reporter(true, 80).silent("pwrite /f", 1 << 30)) {
            tick(1000);
            p.advance(1 << 20);
        }
        assertEquals("", printed(), "silent work draws nothing either");
    }

    @Test
    void onlyLargeWorkOfIoGetsABar() throws Exception {
        try (Progress p = reporter(true, 80).startIfLarge("pread", ProgressReporter.LARGE - 1)) {
            tick(1000);
            p.advance(1);
        }
        assertEquals("", printed());
        try (Progress p = reporter(true, 80).startIfLarge("pread", ProgressReporter.LARGE)) {
            tick(1000);
            p.advance(1);
        }
        assertTrue(printed().startsWith("\rpread ["), printed());
    }

    /** The loop a command runs: pieces into a "file"; cancelled, it keeps exactly the pieces done. */
    @Test
    void cancellationStopsBetweenPiecesLeavingAPrefix() throws Exception {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        byte[] piece = new byte[4096];
        Progress[] held = new Progress[1];
        InterruptedIOException e = assertThrows(InterruptedIOException.class, () -> {
            try (Progress p = reporter(true, 80).start("pwrite /f", 100 * piece.length)) {
                held[0] = p;
                p.checkpoint();
                for (int i = 0; i < 100; i++) {
                    file.write(piece);
                    tick(300);
                    if (i == 6) {
                        cancel.set(true); // Ctrl-C while the seventh piece is written
                    }
                    p.advance(piece.length);
                }
            }
        });
        assertEquals("interrupted", e.getMessage());
        assertEquals(7 * piece.length, file.size(), "exactly the pieces written before the cancel");
        assertEquals(7 * piece.length, e.bytesTransferred);
        assertEquals(7 * piece.length, held[0].done());
        assertTrue(printed().endsWith("\r"), "the bar is erased before the error is printed: " + printed());
    }

    @Test
    void aCancelBeforeTheFirstPieceDoesNothing() {
        cancel.set(true);
        InterruptedIOException e = assertThrows(InterruptedIOException.class,
                () -> reporter(false, 80).silent("x", 10).checkpoint());
        assertEquals(0, e.bytesTransferred);
    }

    @Test
    void aSessionWithoutTheConsoleVariablesNeverCancelsAndDrawsNothing() throws Exception {
        ProgressReporter plain = ProgressReporter.of(sessionWith(Map.of()));
        try (Progress p = plain.start("x", 10)) {
            p.advance(10);
        }
        AtomicBoolean set = new AtomicBoolean(true);
        ProgressReporter console = ProgressReporter.of(sessionWith(Map.of(ConsoleSession.CANCEL, set,
                ConsoleSession.INTERACTIVE, Boolean.FALSE, ConsoleSession.WIDTH, 120)));
        assertThrows(InterruptedIOException.class, () -> console.silent("x", 10).checkpoint());
        assertTrue(ProgressReporter.of(null) == ProgressReporter.QUIET);
    }

    private static CommandSession sessionWith(Map<String, Object> vars) {
        return (CommandSession) java.lang.reflect.Proxy.newProxyInstance(ProgressTest.class.getClassLoader(),
                new Class<?>[] {CommandSession.class}, (proxy, method, args) -> method.getName().equals("get")
                        ? vars.get((String) args[0]) : null);
    }

    @Test
    void theLineSaysBytesRateAndTimeLeft() {
        Progress p = reporter(true, 100).start("cp /a", 10L << 30);
        tick(10_000);
        p.done(); // nothing yet
        String line = new ProgressLine(p).at(clock.get());
        assertTrue(line.contains("  0%  0/10G  0/s  ETA --:--"), line);
        List.of(line).forEach(l -> assertTrue(l.length() <= 99));
    }

    /** Reaches the package-private rendering. */
    private record ProgressLine(Progress p) {
        String at(long now) {
            return p.line(now);
        }
    }
}
