package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * The fsx run (issue 21): {@code storage.fsx.ops} seeded steps (a quick run by default;
 * {@code -Dstorage.fsx.ops=10000000} for the long one) on four files, each result checked
 * against the model. A mismatch prints the seed, the step, and the shortest log the
 * shrinker finds in {@code storage.fsx.shrinkSeconds} (120 by default).
 */
class FsxTest {
    private static final int QUICK_OPS = 12_000;
    @Test
    void aLongSeededRunMatchesTheModel() throws IOException {
        long seed = Seeds.seed("FsxTest");
        int ops = Integer.getInteger("storage.fsx.ops", QUICK_OPS);
        Random r = new Random(seed);
        Fsx fsx = new Fsx("run", null);
        long start = System.nanoTime();
        Fsx.Mismatch mismatch = null;
        try {
            for (int i = 0; i < ops; i++) {
                fsx.run(FsxOp.random(r));
            }
            fsx.finish();
        } catch (Fsx.Mismatch e) {
            mismatch = e;
        } finally {
            fsx.close();
        }
        System.out.printf("fsx: seed %d, %d ops %s, %d power cuts, %d mismatches (%d s)%n", seed, fsx.opsRun(),
                fsx.counts(), fsx.powerCuts(), mismatch == null ? 0 : 1,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        System.out.println("fsx: milliseconds by kind " + fsx.millis());
        if (mismatch != null) {
            System.out.println("fsx: seed " + seed + ", " + mismatch.getMessage() + "; shrinking");
            fail("fsx: seed " + seed + ", " + mismatch.getMessage() + "\nshortest failing log:\n"
                    + shrunk(seed, Math.min(fsx.opsRun(), mismatch.op + 1), kind(mismatch.getMessage())), mismatch);
        }
    }

    /** The first {@code n} steps of the run of {@code seed}, shrunk, as the lines they ran as. */
    private static String shrunk(long seed, int n, String kind) {
        Random r = new Random(seed);
        List<FsxOp> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ops.add(FsxOp.random(r));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("storage.fsx.shrinkSeconds", 120));
        List<FsxOp> shortest = Shrinker.shrink(ops, l -> kind.equals(kind(failure(l))), deadline);
        StringBuilder out = new StringBuilder();
        try {
            String failure = Fsx.replay(shortest, line -> out.append("  ").append(line).append('\n'));
            out.append("  => ").append(failure).append('\n').append("as steps:\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        shortest.forEach(op -> out.append("  ").append(op).append('\n'));
        return out.toString();
    }

    /**
     * What kind of mismatch a message tells, for the shrinker to keep to it: the words of
     * its first line's last part, without numbers, offsets or checksums.
     */
    static String kind(String message) {
        if (message == null) {
            return null;
        }
        String line = message.lines().findFirst().orElse("");
        String words = words(line.substring(line.lastIndexOf(": ") + 1));
        return words.isEmpty() ? words(line.substring(line.indexOf(": ") + 1)) : words;
    }

    private static String words(String text) {
        return Arrays.stream(text.split("[^A-Za-z0-9]+")).filter(w -> !w.isEmpty() && !w.matches(".*[0-9].*"))
                .collect(Collectors.joining(" "));
    }

    private static String failure(List<FsxOp> ops) {
        try {
            return Fsx.replay(ops, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theShrinkerFindsTheStepsAFailureNeeds() {
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            items.add(i);
        }
        // Fails when 17 comes before 400 and 999 is there: three steps of a thousand matter.
        List<Integer> shortest = Shrinker.shrink(items,
                l -> l.contains(999) && l.indexOf(17) >= 0 && l.indexOf(17) < l.indexOf(400), Long.MAX_VALUE);
        assertEquals(List.of(17, 400, 999), shortest);
    }

    @Test
    void aReplayOfTheSameStepsGivesTheSameAnswer() throws IOException {
        Random r = new Random(42);
        List<FsxOp> ops = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ops.add(FsxOp.random(r));
        }
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        assertEquals(null, Fsx.replay(ops, first::add));
        assertEquals(null, Fsx.replay(ops, second::add));
        assertEquals(first, second, "a replay runs the same steps");
        assertTrue(first.size() == 300);
    }
}
