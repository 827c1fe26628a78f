package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** storage:cache over the real engine: a file and its clone read, shown once as cached and as shared (issue 19). */
@Timeout(60)
class CacheCommandTest {
    private static final int SIZE = 1 << 20;
    private static final Set<StandardOpenOption> RW = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    private MemEngine engine;
    private final VolumeCommands commands = new VolumeCommands();

    @BeforeEach
    void mount() throws IOException {
        engine = new MemEngine();
        CowVolume v = engine.mount("v", 64L << 20);
        byte[] data = new byte[SIZE];
        new java.util.Random(5).nextBytes(data);
        try (FileHandle a = v.open("/a", RW); FileHandle b = v.open("/b", RW)) {
            a.write(ByteBuffer.wrap(data), 0);
            b.cloneRange(a, 0, 0, 0);
        }
        engine.unmount("v");
        v = engine.mountExisting("v", false); // nothing cached
        for (String path : new String[] {"/a", "/b"}) {
            try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
                ByteBuffer all = ByteBuffer.allocate(SIZE);
                while (all.hasRemaining() && f.read(all, all.position()) >= 0) {
                    // reading
                }
            }
        }
        commands.bindManager(engine);
    }

    @AfterEach
    void close() throws IOException {
        engine.close();
    }

    @Test
    void theTableShowsSharedPinnedAndTheHitRate() {
        @SuppressWarnings("unchecked")
        Table<VolumeCommands.CacheInfo> t = (Table<VolumeCommands.CacheInfo>) commands.cache(Sessions.empty());
        String text = t.render();
        String header = text.lines().findFirst().orElseThrow();
        assertTrue(header.matches("VOLUME +LIMIT +CACHED +SHARED +PINNED +DIRTY +HITS +MISSES +HIT% +READAHEAD"),
                header);
        VolumeCommands.CacheInfo row = t.get(0);
        assertEquals(SIZE, row.cached(), text);
        assertEquals(SIZE, row.shared(), "the clone's blocks are the file's: " + text);
        assertEquals(0, row.pinned());
        assertTrue(row.hitRate() >= 0.5 && row.hitRate() <= 1, text);
        assertTrue(text.contains(" " + row.hitPercent() + " "), text);
        assertTrue(row.hitPercent().matches("\\d+\\.\\d"), row.hitPercent());
        assertTrue(row.line().contains("shared"), row.line());
        String json = (String) commands.cache(Sessions.empty(), "--json");
        assertTrue(json.contains("\"shared\":" + SIZE) || json.contains("\"shared\": " + SIZE), json);
        assertTrue(json.contains("\"hit%\""), json);
        assertTrue(json.contains("\"pinned\""), json);
    }
}
