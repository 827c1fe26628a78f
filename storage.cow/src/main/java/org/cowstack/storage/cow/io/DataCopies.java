package org.cowstack.storage.cow.io;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.cowstack.storage.api.dio.DioMode;

/**
 * Bytes of file data the engine copies, counted at the places it copies them: the
 * figures behind "copies per direct write" for each DIO mode. Thread-safe.
 */
public final class DataCopies {
    private final LongAdder intoCache = new LongAdder();
    private final LongAdder atWriteback = new LongAdder();
    private final LongAdder bounced = new LongAdder();
    private final LongAdder staged = new LongAdder();
    private final Map<DioMode, LongAdder> directWrites = new EnumMap<>(DioMode.class);

    public DataCopies() {
        for (DioMode m : DioMode.values()) {
            directWrites.put(m, new LongAdder());
        }
    }

    /**
     * The counts at one moment.
     *
     * @param intoCache    caller bytes copied into the page cache (buffered writes)
     * @param atWriteback  cached bytes copied into write buffers when they are written back
     * @param bounced      caller bytes copied into private buffers for the device (bounce,
     *                     and the blocks verify rewrites)
     * @param staged       caller bytes copied through a one-block staging buffer, never
     *                     written from there, to be checksummed or cached safely (see
     *                     {@link CallerBuffer})
     * @param directWrites direct writes executed, per mode
     */
    public record Snapshot(long intoCache, long atWriteback, long bounced, long staged,
            Map<DioMode, Long> directWrites) {
        /** What happened between {@code before} and this. */
        public Snapshot since(Snapshot before) {
            Map<DioMode, Long> writes = new EnumMap<>(DioMode.class);
            directWrites.forEach((m, n) -> writes.put(m, n - before.directWrites.get(m)));
            return new Snapshot(intoCache - before.intoCache, atWriteback - before.atWriteback,
                    bounced - before.bounced, staged - before.staged, writes);
        }
    }

    public Snapshot snapshot() {
        Map<DioMode, Long> writes = new EnumMap<>(DioMode.class);
        directWrites.forEach((m, n) -> writes.put(m, n.sum()));
        return new Snapshot(intoCache.sum(), atWriteback.sum(), bounced.sum(), staged.sum(), writes);
    }

    void intoCache(long bytes) {
        intoCache.add(bytes);
    }

    void atWriteback(long bytes) {
        atWriteback.add(bytes);
    }

    void bounced(long bytes) {
        bounced.add(bytes);
    }

    void staged(long bytes) {
        staged.add(bytes);
    }

    void directWrite(DioMode mode) {
        directWrites.get(mode).increment();
    }
}
