package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The real programs the client tests drive (qemu-img, nbdinfo, fio, nbdsh, openssl...):
 * whether one is here, and running one with its output kept. Shared so that every test
 * that needs a program asks and fails the same way: a missing program skips its test, a
 * failing one fails it with the command and everything it printed.
 */
final class Tools {
    private Tools() {
    }

    /** Whether {@code tool --version} runs and succeeds. */
    static boolean have(String tool) {
        return works(tool, "--version");
    }

    /** Whether a command runs and succeeds ({@code openssl version}: openssl has no --version). */
    static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs a tool; its output (stdout and stderr), failing on a non-zero exit. */
    static String run(String... command) throws Exception {
        Ran r = exec(command);
        assertEquals(0, r.exit(), String.join(" ", command) + "\n" + r.output());
        return r.output();
    }

    /** Runs a tool that must fail; its output (stdout and stderr), failing on a zero exit. */
    static String fails(String... command) throws Exception {
        Ran r = exec(command);
        assertNotEquals(0, r.exit(), "expected to fail: " + String.join(" ", command) + "\n" + r.output());
        return r.output();
    }

    private record Ran(int exit, String output) {
    }

    private static Ran exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished: " + String.join(" ", command));
        return new Ran(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
