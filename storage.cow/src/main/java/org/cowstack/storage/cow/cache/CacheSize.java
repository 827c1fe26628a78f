package org.cowstack.storage.cow.cache;

/**
 * The default size of a volume's page cache, derived from the memory the JVM may use,
 * as a kernel sizes its page cache from RAM: a quarter of the maximum heap, at least
 * {@link #MIN_BYTES} and at most {@link #MAX_BYTES}. Config Admin overrides it.
 */
public final class CacheSize {
    public static final long MIN_BYTES = 16L << 20;
    public static final long MAX_BYTES = 16L << 30;

    private CacheSize() {
    }

    /** A quarter of {@code maxHeap} (Long.MAX_VALUE: unbounded), within [MIN_BYTES, MAX_BYTES]. */
    public static long forHeap(long maxHeap) {
        return Math.max(MIN_BYTES, Math.min(MAX_BYTES, maxHeap / 4));
    }

    /** The default for this JVM. */
    public static long defaultBytes() {
        return forHeap(Runtime.getRuntime().maxMemory());
    }
}
