package org.cowstack.storage.cow.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Damaged file ranges: merging, lookups, what clears them, and the changes a commit stores. */
class DamagedRangesTest {
    private static final int BS = 4096;

    @Test
    void overlappingMarksMergeAndLookupsFindTheFirstOverlap() {
        DamagedRanges d = new DamagedRanges(BS);
        d.mark(7, 10, 5, 100, DamagedRanges.MEDIA);
        d.mark(7, 13, 5, 200, DamagedRanges.CHECKSUM);
        d.mark(7, 30, 1, 300, DamagedRanges.MEDIA);
        assertEquals(List.of(new DamagedRanges.Range(7, 10, 8, 100, DamagedRanges.CHECKSUM),
                new DamagedRanges.Range(7, 30, 1, 300, DamagedRanges.MEDIA)), d.all());
        assertEquals(10, d.firstDamaged(7, 0, 11).fileBlock());
        assertEquals(10, d.firstDamaged(7, 17, 100).fileBlock(), "one that began before the read");
        assertEquals(30, d.firstDamaged(7, 18, 100).fileBlock());
        assertNull(d.firstDamaged(7, 18, 12));
        assertNull(d.firstDamaged(8, 0, 100), "another file");
    }

    @Test
    void onlyAChangeCoveringWholeBlocksOfTheWholeRangeClearsIt() {
        DamagedRanges d = new DamagedRanges(BS);
        d.mark(7, 2, 2, 100, DamagedRanges.MEDIA);
        d.contentChanged(7, 2L * BS + 1, 2L * BS); // blocks 3 only, whole
        assertFalse(d.isEmpty());
        d.contentChanged(7, 2L * BS, 2L * BS - 1); // block 3's last byte missing
        assertFalse(d.isEmpty());
        d.contentChanged(7, 2L * BS, 2L * BS);
        assertTrue(d.isEmpty());
    }

    @Test
    void truncateCutsAndDeleteRemoves() {
        DamagedRanges d = new DamagedRanges(BS);
        d.mark(7, 4, 4, 100, DamagedRanges.MEDIA);
        d.mark(7, 10, 1, 200, DamagedRanges.MEDIA);
        d.resized(7, 20L * BS, 5L * BS + 1); // blocks 0..5 stay
        assertEquals(List.of(new DamagedRanges.Range(7, 4, 2, 100, DamagedRanges.MEDIA)), d.all());
        d.resized(7, 5L * BS, 9L * BS);
        assertEquals(1, d.all().size(), "growing changes nothing");
        d.removed(7);
        assertTrue(d.isEmpty());
    }

    @Test
    void changesAreTakenOnceAndGivenBackWhenAStoreFails() {
        DamagedRanges d = new DamagedRanges(BS);
        d.load(List.of(new DamagedRanges.Range(7, 4, 1, 100, DamagedRanges.MEDIA)));
        assertFalse(d.pending(), "as stored");
        d.removed(7);
        d.mark(8, 0, 1, 5, DamagedRanges.CHECKSUM);
        Map<List<Long>, DamagedRanges.Range> taken = d.takeChanged();
        assertEquals(2, taken.size());
        assertTrue(taken.containsKey(Arrays.asList(7L, 4L)) && taken.get(List.of(7L, 4L)) == null, "a deletion");
        assertFalse(d.pending());
        d.unstored(taken);
        assertTrue(d.pending());
    }
}
