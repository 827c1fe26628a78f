package org.cowstack.storage.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

class DirtyRangesTest {
    @Test
    void mergesAgainstABitmapModel() {
        Random r = new Random(Seeds.seed("DirtyRangesTest"));
        for (int round = 0; round < 200; round++) {
            DirtyRanges ranges = new DirtyRanges();
            BitSet model = new BitSet();
            for (int i = 0; i < 30; i++) {
                int start = r.nextInt(1000);
                int end = start + r.nextInt(60);
                ranges.add(start, end);
                model.set(start, end);
            }
            List<long[]> drained = ranges.drain();
            BitSet got = new BitSet();
            long previousEnd = -1;
            for (long[] range : drained) {
                assertTrue(range[0] > previousEnd, "ranges are sorted, disjoint and never touch");
                got.set((int) range[0], (int) range[1]);
                previousEnd = range[1];
            }
            assertEquals(model, got, "round " + round);
            assertTrue(ranges.isEmpty(), "drain empties");
        }
    }
}
