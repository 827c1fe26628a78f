package org.cowstack.storage.cow.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/** The radix tree against a {@link TreeMap}: seeded random puts, removes, lookups and range visits. */
class PageTreeTest {
    @Test
    void behavesAsASortedMap() {
        long seed = Seeds.seed("PageTreeTest");
        Random r = new Random(seed);
        PageTree<String> tree = new PageTree<>();
        TreeMap<Long, String> model = new TreeMap<>();
        for (int op = 0; op < 60_000; op++) {
            long index = index(r);
            String what = "op " + op + " index " + index + " (seed " + seed + ")";
            switch (r.nextInt(6)) {
                case 0, 1 -> assertEquals(model.put(index, "v" + op), tree.put(index, "v" + op), what);
                case 2 -> assertEquals(model.remove(index), tree.remove(index), what);
                case 3 -> assertEquals(model.get(index), tree.get(index), what);
                case 4 -> {
                    long to = r.nextInt(10) == 0 ? Long.MAX_VALUE : index + r.nextInt(5000);
                    List<Map.Entry<Long, String>> seen = new ArrayList<>();
                    tree.visit(index, to, (i, v) -> seen.add(Map.entry(i, v)));
                    assertEquals(new ArrayList<>(model.subMap(index, true, to, false).entrySet()), seen, what);
                    assertEquals(model.subMap(index, true, to, false).size(), tree.count(index, to), what);
                    Long next = model.ceilingKey(index);
                    assertEquals(next == null || next >= to ? to : next, tree.next(index, to), what);
                }
                default -> {
                    if (r.nextInt(1000) == 0) {
                        for (Long k : new ArrayList<>(model.keySet())) {
                            assertEquals(model.remove(k), tree.remove(k), what);
                        }
                        assertEquals(0, tree.size(), what);
                    }
                }
            }
            assertEquals(model.size(), tree.size(), what);
        }
    }

    /** Mostly clustered indexes (files written in runs), some anywhere up to the largest long. */
    private static long index(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> r.nextLong() & Long.MAX_VALUE;
            case 1 -> (1L << r.nextInt(63)) + r.nextInt(3) - 1;
            default -> r.nextInt(3000);
        };
    }

    @Test
    void extremesAndEmpty() {
        PageTree<String> tree = new PageTree<>();
        assertNull(tree.get(0));
        assertNull(tree.remove(Long.MAX_VALUE));
        tree.put(Long.MAX_VALUE - 1, "top");
        tree.put(0, "zero");
        List<Long> seen = new ArrayList<>();
        tree.visit(0, Long.MAX_VALUE, (i, v) -> seen.add(i));
        assertEquals(List.of(0L, Long.MAX_VALUE - 1), seen);
        assertEquals("top", tree.remove(Long.MAX_VALUE - 1));
        assertEquals("zero", tree.get(0));
        assertEquals("zero", tree.remove(0));
        assertEquals(0, tree.size());
        assertNull(tree.get(Long.MAX_VALUE - 1));
    }
}
