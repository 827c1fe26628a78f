package org.cowstack.storage.itest;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The programs integration tests drive (qemu-img, qemu-io, nbdinfo, openssl): whether
 * one is installed, a run of one, and a free port to point them at.
 */
final class Programs {
    private Programs() {
    }

    static boolean have(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Output and exit status of a tool. */
    static Object[] run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("finished: " + String.join(" ", command), p.waitFor(120, TimeUnit.SECONDS));
        return new Object[] {p.exitValue(), out};
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Tries for a few seconds: the export's component starts asynchronously after the configuration. */
    static Object[] eventually(String... command) throws Exception {
        Object[] r = null;
        for (int i = 0; i < 50; i++) {
            r = run(command);
            if ((int) r[0] == 0) {
                return r;
            }
            Thread.sleep(100);
        }
        return r;
    }
}
