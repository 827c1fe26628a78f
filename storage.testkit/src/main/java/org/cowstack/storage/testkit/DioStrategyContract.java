package org.cowstack.storage.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link DioStrategy} passes, as the javadoc of {@code DioStrategy}
 * and {@link DirectWrite} states it: a lower-case name declared by its
 * {@link DioStrategyService}; an answer, never null and never an exception, for every
 * combination of the facts; {@link DioMode#BUFFERED} for an unaligned write; the same
 * answer for the same facts, however often and from however many threads it is asked;
 * and {@link DirectWrite#shared()}, which costs the engine lookups, asked at most once
 * per decision. A subclass names the strategy; what it chooses for an aligned write is
 * its own business, tested beside it.
 */
public abstract class DioStrategyContract {
    private static final int BLOCK = 4096;

    /** The strategy under test. */
    protected abstract DioStrategy strategy();

    protected abstract String expectedName();

    /** The facts of one direct write, counting how often {@link #shared()} is asked. */
    protected static final class Facts implements DirectWrite {
        private final String volume;
        private final String path;
        private final long offset;
        private final long length;
        private final boolean aligned;
        private final boolean checksummed;
        private final boolean nocow;
        private final boolean shared;
        private final AtomicInteger sharedAsked = new AtomicInteger();

        public Facts(String volume, String path, long offset, long length, boolean aligned, boolean checksummed,
                boolean nocow, boolean shared) {
            this.volume = volume;
            this.path = path;
            this.offset = offset;
            this.length = length;
            this.aligned = aligned;
            this.checksummed = checksummed;
            this.nocow = nocow;
            this.shared = shared;
        }

        /** A write of one block at 8 KiB when aligned, of 1000 bytes at 100 otherwise. */
        public Facts(boolean aligned, boolean checksummed, boolean nocow, boolean shared) {
            this("v", "/f", aligned ? 2 * BLOCK : 100, aligned ? BLOCK : 1000, aligned, checksummed, nocow, shared);
        }

        /** The same facts, with a fresh count. */
        public Facts again() {
            return new Facts(volume, path, offset, length, aligned, checksummed, nocow, shared);
        }

        /** How often {@link #shared()} was asked. */
        public int sharedAsked() {
            return sharedAsked.get();
        }

        @Override
        public String volume() {
            return volume;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public boolean aligned() {
            return aligned;
        }

        @Override
        public boolean checksummed() {
            return checksummed;
        }

        @Override
        public boolean nocow() {
            return nocow;
        }

        @Override
        public boolean shared() {
            sharedAsked.incrementAndGet();
            return shared;
        }

        @Override
        public String toString() {
            return (aligned ? "an aligned" : "an unaligned") + (checksummed ? " checksummed" : " nodatasum")
                    + (nocow ? " nocow" : "") + (shared ? " shared" : "") + " write of " + length + " bytes at "
                    + offset + " of " + volume + ":" + path;
        }
    }

    /** Every combination of aligned, checksummed, nocow and shared: 16 writes. */
    protected static List<Facts> everyCombination() {
        List<Facts> all = new ArrayList<>();
        for (int bits = 0; bits < 16; bits++) {
            all.add(new Facts((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0));
        }
        return all;
    }

    /** Random facts of a plausible write: aligned ones have block-multiple offsets and lengths. */
    private static Facts randomFacts(Random r) {
        boolean aligned = r.nextBoolean();
        long offset;
        long length;
        if (aligned) {
            offset = (long) r.nextInt(1 << 20) * BLOCK;
            length = (long) (1 + r.nextInt(4096)) * BLOCK;
        } else {
            offset = r.nextInt(1 << 30) * 2L + 1; // odd: never a block multiple
            length = 1 + r.nextInt(16 << 20);
        }
        return new Facts("vol" + r.nextInt(4), "/dir/file" + r.nextInt(100), offset, length, aligned,
                r.nextBoolean(), r.nextBoolean(), r.nextBoolean());
    }

    /** The strategy, for messages: its name, or its class when it has none (that failure is reported on its own). */
    private String who() {
        try {
            return strategy().name();
        } catch (IllegalStateException e) {
            return strategy().getClass().getName();
        }
    }

    /** Asks the strategy: it must answer, not throw, and ask shared() at most once. */
    private DioMode choose(Facts facts) {
        DioMode mode;
        try {
            mode = strategy().choose(facts);
        } catch (RuntimeException | Error e) {
            throw new AssertionError(who() + " threw for " + facts + " instead of answering", e);
        }
        assertNotNull(mode, who() + " answers a mode for " + facts);
        assertTrue(facts.sharedAsked() <= 1, who() + " asked shared() " + facts.sharedAsked()
                + " times for " + facts + " (it costs lookups: at most once per decision)");
        return mode;
    }

    @Test
    void name() {
        assertEquals(expectedName(), strategy().name());
    }

    @Test
    void nameIsDeclaredOnceByItsDioStrategyService() {
        Class<?> type = strategy().getClass();
        DioStrategyService service = type.getAnnotation(DioStrategyService.class);
        assertNotNull(service, type.getName() + " is annotated with @DioStrategyService, which sets the "
                + DioStrategy.NAME + " service property consumers select it by");
        String name = strategy().name();
        assertEquals(service.name(), name, "name() is the " + DioStrategy.NAME + " service property");
        assertFalse(name.isBlank(), "a name to type in storage:dio");
        assertEquals(name.toLowerCase(Locale.ROOT), name, "a lower-case name");
    }

    @Test
    void answersEveryCombinationOfTheFactsAskingSharedAtMostOnce() {
        for (Facts facts : everyCombination()) {
            choose(facts);
        }
    }

    @Test
    void buffersEveryUnalignedWrite() {
        // Only whole blocks can bypass the cache (the engine buffers an unaligned write whatever the answer).
        for (Facts facts : everyCombination()) {
            if (!facts.aligned()) {
                assertEquals(DioMode.BUFFERED, choose(facts), who() + " for " + facts);
            }
        }
    }

    @Test
    void decidesFromTheFactsAloneAgainAndFromManyThreadsAtOnce() throws Exception {
        Random random = new Random(Seeds.seed(getClass().getSimpleName() + ".sameFacts"));
        List<Facts> facts = new ArrayList<>(everyCombination());
        for (int i = 0; i < 240; i++) {
            facts.add(randomFacts(random));
        }
        List<DioMode> first = new ArrayList<>();
        for (Facts f : facts) {
            DioMode mode = choose(f.again());
            first.add(mode);
            if (!f.aligned()) {
                assertEquals(DioMode.BUFFERED, mode, who() + " for " + f);
            }
        }
        int threads = 8;
        int calls = 5000;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long threadSeed = random.nextLong();
                Callable<Integer> task = () -> {
                    Random r = new Random(threadSeed);
                    start.await();
                    for (int n = 0; n < calls; n++) {
                        int i = r.nextInt(facts.size());
                        Facts f = facts.get(i).again();
                        assertEquals(first.get(i), choose(f),
                                who() + " answered differently for the same facts, " + f);
                    }
                    return calls;
                };
                results.add(pool.submit(task));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : results) {
                try {
                    total += f.get(2, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof AssertionError a) {
                        throw a;
                    }
                    fail(e.getCause());
                }
            }
            assertEquals(threads * calls, total);
        } finally {
            pool.shutdownNow();
        }
    }
}
