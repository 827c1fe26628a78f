package org.cowstack.storage.itest;

import static org.junit.Assert.assertTrue;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * Scrub and health through real Gogo sessions (issue 18): mkfs with profiles, a scrub in
 * the foreground on a clean volume, its status as JSON, the health counters, and bad
 * input answered in one line. The pass's reading lands separately: what is asserted
 * holds whether it reads or not (no errors on a clean volume, counts never negative).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ScrubIT {

    @Inject
    private CommandProcessor gogo;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private String session(String command) throws Exception {
        return new InFramework(context, gogo).session(command);
    }

    private String failure(String command) throws Exception {
        return new InFramework(context, gogo).failure(command);
    }

    @Test
    public void aScrubOfACleanVolumeFindsNothingAndReportsAsJson() throws Exception {
        assertTrue(session("storage:mkfs --size 32m --metadata dup --data single mem:scrub")
                .startsWith("formatted mem:scrub"));
        session("storage:mount s mem:scrub");
        session("storage:io s /f 'pwrite 0 1m' fsync");

        String report = session("storage:scrub start --wait s");
        assertTrue(report, report.startsWith("scrub of s: finished, 100% "));
        assertTrue(report, report.contains(", 0 errors"));
        assertTrue(report, report.matches("(?s).*\nblocks checked +\\d+\n.*"));
        assertTrue(report, report.contains("\nerrors          0\n"));
        assertTrue(report, report.contains("\ncorrected       0\n"));
        assertTrue(report, report.contains("\nuncorrectable   0\n"));
        assertTrue(report, report.contains("\nunverified      0\n"));
        assertTrue(report, report.endsWith("no damaged ranges"));

        String json = session("storage:scrub status --json s");
        assertTrue(json, json.matches("\\{\"volume\":\"s\",\"state\":\"finished\",\"repair\":true,\"bytesTotal\":\\d+,"
                + "\"bytesDone\":\\d+,\"percent\":100\\.0,.*\"blocksChecked\":\\d+,\"errors\":0,\"corrected\":0,"
                + "\"uncorrectable\":0,\"unverified\":0,\"failure\":null,\"damaged\":\\[\\]\\}"));

        String started = session("storage:scrub start --json --readonly --limit 50M s");
        assertTrue(started, started.matches("\\{\"volume\":\"s\",\"state\":\"(running|finished)\",\"repair\":false,.*"
                + "\"limit\":52428800,.*"));
        assertTrue(session("storage:scrub status --watch s").startsWith("scrub of s: finished"));
        assertTrue(session("storage:scrub limit s 0").startsWith("scrub of s: finished, 100% "));

        String health = session("storage:health s");
        assertTrue(health, health.startsWith("health of s: 0 damaged ranges, 0 device errors, last scrub finished"));
        for (String counter : new String[] {"read errors", "write errors", "flush errors", "checksum errors",
            "generation errors", "repairs"}) {
            assertTrue(counter + " in\n" + health, health.matches("(?s).*\n" + counter + " +0\n.*"));
        }
        assertTrue(session("storage:health --json s").startsWith("{\"volume\":\"s\",\"errors\":{\"read\":0,"));
        assertTrue(session("storage:health --reset s").contains("counters reset"));

        // the last result is kept across an unmount
        session("storage:umount s");
        session("storage:mount s mem:scrub");
        assertTrue(session("storage:scrub status s").startsWith("scrub of s: finished"));
        session("storage:umount s");
    }

    @Test
    public void badInputIsOneClearLine() throws Exception {
        session("storage:mkfs --size 16m mem:scrubbad; storage:mount b mem:scrubbad");
        assertTrue(failure("storage:scrub status nosuch").contains("no volume named nosuch is mounted"));
        assertTrue(failure("storage:scrub start --limit fast b").contains("fast"));
        assertTrue(failure("storage:scrub limit b 1.5G").contains("1.5G"));
        assertTrue(failure("storage:scrub scour b").startsWith("storage:scrub: unknown action scour"));
        assertTrue(failure("storage:scrub pause b").contains("never"));
        assertTrue(failure("storage:mkfs --data raid5 mem:scrubbad2").contains("raid5"));
        assertTrue(failure("storage:health nosuch").contains("no volume named nosuch is mounted"));
        session("storage:umount b");
    }
}
