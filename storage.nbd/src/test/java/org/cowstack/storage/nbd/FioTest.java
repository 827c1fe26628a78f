package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fio's nbd engine (libnbd underneath) against the server: random reads and writes from
 * four connections at once, 16 requests in flight on each, every block written checked
 * with crc32c when read back. fio is a client nobody here wrote, so it catches what a
 * test written from our own reading of the spec would share with the server: replies out
 * of step under pipelining, a write one connection makes that another does not see.
 * Each connection has its own quarter of the export, so verification never races.
 */
class FioTest extends ServerFixture {
    private static final int JOBS = 4;
    private static final int JOB_MIB = 16;

    @TempDir
    Path dir;

    @Override
    int bigMiB() {
        return JOBS * JOB_MIB;
    }

    @Test
    void randomReadWriteFromFourConnectionsVerifies() throws Exception {
        assumeTrue(Tools.have("fio"), "fio is not installed: the fio test is skipped");
        assumeTrue(Tools.run("fio", "--enghelp").contains("nbd"),
                "this fio has no nbd engine: the fio test is skipped");
        StringBuilder job = new StringBuilder()
                .append("[global]\n")
                .append("ioengine=nbd\n")
                .append("uri=nbd://127.0.0.1:").append(server.port()).append("/big\n")
                .append("rw=randrw\n")
                .append("bsrange=4k-64k\n")
                .append("iodepth=16\n")
                .append("size=").append(JOB_MIB).append("M\n")
                .append("verify=crc32c\n")
                .append("verify_fatal=1\n")
                .append("do_verify=1\n")
                .append("verify_state_save=0\n") // else fio leaves its state files in the working directory
                .append("fsync=64\n") // a flush now and then among the writes
                .append("randrepeat=1\n");
        for (int i = 0; i < JOBS; i++) {
            job.append("[q").append(i).append("]\n").append("offset=").append(i * JOB_MIB).append("M\n");
        }
        Path file = dir.resolve("nbd.fio");
        Files.writeString(file, job);
        long before = server.connections();
        String out = Tools.run("fio", "--output-format=normal", file.toString());
        System.out.println("FioTest: fio, " + JOBS + " jobs of " + JOB_MIB + " MiB:\n" + out.lines()
                .filter(l -> l.contains("err=") || l.contains("READ:") || l.contains("WRITE:"))
                .collect(java.util.stream.Collectors.joining("\n")));
        Matcher errors = Pattern.compile("err=\\s*(\\d+)").matcher(out);
        int jobs = 0;
        while (errors.find()) {
            assertEquals("0", errors.group(1), out);
            jobs++;
        }
        assertEquals(JOBS, jobs, "fio reported each job:\n" + out);
        assertTrue(!out.contains("verify: bad") && !out.contains("fio: verify"), out);
        assertTrue(server.connections() - before >= JOBS, "one connection per job: "
                + (server.connections() - before));
        synchronized (log) {
            assertTrue(log.isEmpty(), "the server logged no failure: " + log);
        }
    }
}
