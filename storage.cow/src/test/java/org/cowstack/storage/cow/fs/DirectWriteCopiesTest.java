package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;

import org.cowstack.storage.api.volume.FileHandle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.cowstack.storage.cow.io.DataCopies;

/**
 * Copies per direct write for each strategy, measured by the engine's copy counters (the
 * places it copies file data), for a stable caller buffer on the heap and in direct
 * memory. Prints the table the README quotes and pins it, so a change that adds a copy
 * to a path that claims none fails here.
 */
class DirectWriteCopiesTest {
    private static final int WRITES = 32;
    private static final int LENGTH = 64 << 10;
    private static final StringBuilder TABLE = new StringBuilder();

    private final Volumes volumes = Volumes.mem();

    @BeforeAll
    static void header() {
        TABLE.append(String.format("%-10s %-7s %12s %12s %12s %12s%n", "strategy", "buffer", "into cache",
                "writeback", "bounce", "staged"));
    }

    @AfterAll
    static void print() {
        System.out.print("Copies per direct write of " + LENGTH / 1024 + " KiB (bytes copied / bytes written)\n" + TABLE);
    }

    /** [into cache, writeback, bounce, staged] per byte written. */
    private double[] measure(String strategy, boolean heap) throws IOException {
        URI uri = URI.create("mem:copies-" + strategy + heap);
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try {
            v.dioStrategy(strategy);
            ByteBuffer buf = heap ? ByteBuffer.allocate(LENGTH) : ByteBuffer.allocateDirect(LENGTH);
            DataCopies.Snapshot before = v.dataCopies();
            try (FileHandle f = v.open("/img", Volumes.RW)) {
                for (int i = 0; i < WRITES; i++) {
                    buf.clear();
                    f.writeDirect(buf, (long) i * LENGTH);
                }
                f.fsync();
            }
            DataCopies.Snapshot c = v.dataCopies().since(before);
            double bytes = (double) WRITES * LENGTH;
            double[] r = {c.intoCache() / bytes, c.atWriteback() / bytes, c.bounced() / bytes, c.staged() / bytes};
            TABLE.append(String.format("%-10s %-7s %12.2f %12.2f %12.2f %12.2f%n", strategy, heap ? "heap" : "direct",
                    r[0], r[1], r[2], r[3]));
            long executed = c.directWrites().entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(Map.Entry::getKey).count();
            assertEquals(1, executed, "every write took one mode: " + c.directWrites());
            return r;
        } finally {
            v.unmount();
        }
    }

    private void expect(String strategy, boolean heap, double cache, double writeback, double bounce, double staged)
            throws IOException {
        double[] r = measure(strategy, heap);
        String what = strategy + (heap ? " (heap)" : " (direct buffer)");
        assertEquals(cache, r[0], 0.001, what + ": into cache");
        assertEquals(writeback, r[1], 0.001, what + ": at writeback");
        assertEquals(bounce, r[2], 0.001, what + ": bounce");
        assertEquals(staged, r[3], 0.001, what + ": staged");
    }

    @Test
    void copiesPerDirectWrite() throws IOException {
        for (boolean heap : new boolean[] {true, false}) {
            double stage = heap ? 0 : 1; // a direct buffer is read through a staging block (CallerBuffer)
            expect("buffered", heap, 1, 1, 0, 0); // whole blocks go straight into their pages
            expect("bounce", heap, 0, 0, 1, 0);
            expect("nodatasum", heap, 0, 0, 0, 0);
            expect("verify", heap, 0, 0, 0, 2 * stage);
            expect("direct", heap, 0, 0, 0, stage);
        }
    }
}
