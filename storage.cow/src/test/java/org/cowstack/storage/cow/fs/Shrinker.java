package org.cowstack.storage.cow.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Shortens a failing sequence by greedy removal of chunks, halving the chunk size down to
 * single elements (a simple delta debugging): whatever still fails without a chunk stays
 * without it. The result fails and, given the time, no single element can be removed from it.
 */
final class Shrinker {
    private Shrinker() {
    }

    /**
     * @param fails whether a sequence still fails (must hold for {@code items})
     * @param deadlineNanos {@link System#nanoTime()} after which the shortest found so far is returned
     */
    static <T> List<T> shrink(List<T> items, Predicate<List<T>> fails, long deadlineNanos) {
        List<T> current = new ArrayList<>(items);
        for (int chunk = Math.max(1, current.size() / 2); ; chunk = Math.max(1, chunk / 2)) {
            boolean removed = false;
            // From the end: later steps depend on earlier ones less often than the other way round.
            for (int end = current.size(); end > 0 && System.nanoTime() < deadlineNanos; ) {
                int start = Math.max(0, end - chunk);
                List<T> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(end, current.size()));
                if (!candidate.isEmpty() && fails.test(candidate)) {
                    current = candidate;
                    removed = true;
                }
                end = start;
            }
            if (System.nanoTime() >= deadlineNanos || (chunk == 1 && !removed)) {
                return current;
            }
        }
    }
}
