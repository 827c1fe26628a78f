package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.nio.file.StandardOpenOption;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** storage:scrub and storage:health over the real engine on a RAM disk. */
@Timeout(60)
class ScrubCommandsTest {
    private MemEngine engine;
    private final ScrubCommands commands = new ScrubCommands();

    @BeforeEach
    void mount() throws Exception {
        engine = new MemEngine();
        CowVolume v = engine.mount("v", 64L << 20);
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
            f.write(ByteBuffer.wrap(new byte[256 << 10]), 0);
        }
        v.sync();
        commands.bindManager(engine);
    }

    @AfterEach
    void unmount() throws Exception {
        engine.close();
    }

    private Object run(String... words) throws Exception {
        return commands.scrub(Sessions.empty(), words);
    }

    @Test
    void startWaitReportsACleanVolume() throws Exception {
        ScrubCommands.ScrubReport r = (ScrubCommands.ScrubReport) run("start", "--wait", "v");
        assertEquals(ScrubState.FINISHED, r.status().state());
        assertEquals(0, r.status().errors());
        assertTrue(r.status().blocksChecked() >= 0);
        String details = r.details();
        assertTrue(details.startsWith("scrub of v: finished, 100% "), details);
        assertTrue(details.contains("\nerrors          0\n"), details);
        assertTrue(details.contains("\nuncorrectable   0\n"), details);
        assertTrue(details.endsWith("no damaged ranges"), details);
    }

    @Test
    void statusAsJsonIsOneObject() throws Exception {
        run("start", "--wait", "--limit", "50M", "v");
        String json = (String) run("status", "--json", "v");
        assertTrue(json.startsWith("{\"volume\":\"v\",\"state\":\"finished\",\"repair\":true,"), json);
        assertTrue(json.contains(",\"limit\":52428800,"), json);
        assertTrue(json.contains(",\"errors\":0,"), json);
        assertTrue(json.endsWith(",\"failure\":null,\"damaged\":[]}"), json);
        assertFalse(json.contains("\n"));
    }

    @Test
    void actionsThatDoNotFitTheStateAreOneLine() throws Exception {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> run("pause", "v"));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("never"), e.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> run("status", "nosuch"));
        assertEquals("no volume named nosuch is mounted; storage:volumes lists them", none.getMessage());
        assertEquals(0, ScrubCommands.rate("0"));
        assertEquals(50L << 20, ScrubCommands.rate("50M"));
        assertEquals(1L << 30, ScrubCommands.rate("1G/s"));
    }

    @Test
    void healthShowsTheCountersAndResetsThem() throws Exception {
        ScrubCommands.HealthReport h = (ScrubCommands.HealthReport) commands.health(Sessions.empty(), "v");
        String details = h.details();
        assertTrue(details.startsWith("health of v: 0 damaged ranges, 0 device errors, last scrub never"), details);
        assertTrue(details.contains("\nchecksum errors    0\n"), details);
        String json = (String) commands.health(Sessions.empty(), "--json", "v");
        assertTrue(json.startsWith("{\"volume\":\"v\",\"errors\":{\"read\":0,\"write\":0,\"flush\":0,\"checksum\":0,"
                + "\"generation\":0},\"repairs\":0,"), json);
        ScrubCommands.HealthReport reset = (ScrubCommands.HealthReport) commands.health(Sessions.empty(), "--reset",
                "v");
        assertTrue(reset.line().endsWith("; counters reset (there were 0 errors)"), reset.line());
    }
}
