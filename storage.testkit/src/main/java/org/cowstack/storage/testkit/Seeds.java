package org.cowstack.storage.testkit;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Seeds for randomised tests: taken from {@code -Dstorage.test.seed=N} when given,
 * otherwise fresh, and always printed so that a failure replays.
 */
public final class Seeds {
    public static final String PROPERTY = "storage.test.seed";

    private Seeds() {
    }

    /** A seed for {@code test}, printed to stdout with the property that replays it. */
    public static long seed(String test) {
        String fixed = System.getProperty(PROPERTY);
        long seed = fixed != null && !fixed.isBlank() ? Long.parseLong(fixed.trim())
                : ThreadLocalRandom.current().nextLong();
        System.out.printf("seed %s = %d (replay with -D%s=%d)%n", test, seed, PROPERTY, seed);
        return seed;
    }
}
