package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.volume.BlockOwner;

/**
 * A scrub target over a fixed list of block ranges (4 KiB blocks), in order: counts how
 * often each range was read, can be slowed down per call, and can fail at a range.
 */
public final class ListTarget implements ScrubTarget {
    public static final int BLOCK = 4096;
    /** Ranges as {start block, blocks}, sorted, not overlapping. */
    private final List<long[]> ranges;
    public final ConcurrentHashMap<Long, AtomicInteger> reads = new ConcurrentHashMap<>();
    public volatile long delayMillis;
    /** The start block of a range whose read fails, or -1. */
    public volatile long failAt = -1;
    /** The start block of a range reported damaged, or -1. */
    public volatile long damagedAt = -1;

    public ListTarget(List<long[]> ranges) {
        this.ranges = new ArrayList<>(ranges);
    }

    /** {@code count} ranges of {@code blocks} blocks, one block apart. */
    public static ListTarget of(int count, long blocks) {
        List<long[]> r = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            r.add(new long[] {i * (blocks + 1), blocks});
        }
        return new ListTarget(r);
    }

    public long totalBlocks() {
        return ranges.stream().mapToLong(r -> r[1]).sum();
    }

    @Override
    public long totalBytes() {
        return totalBlocks() * BLOCK;
    }

    @Override
    public long scrub(long cursor, long maxBytes, boolean repair, ScrubTally tally) throws IOException {
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("scrub piece interrupted");
            }
        }
        long bytes = 0;
        for (long[] r : ranges) {
            if (r[0] < cursor) {
                continue;
            }
            if (bytes >= maxBytes) {
                return r[0];
            }
            if (r[0] == failAt) {
                throw new IOException("media error on mem:test at block " + r[0] + "\nsecond line");
            }
            reads.computeIfAbsent(r[0], k -> new AtomicInteger()).incrementAndGet();
            tally.checked(r[1], r[1] * BLOCK);
            if (r[0] == damagedAt) {
                tally.damaged(new DamagedRange(r[0], 1, 2, "checksum", repair, List.of(
                        new BlockOwner(BlockOwner.Kind.FILE, "/" + "d".repeat(300), 257, 4096),
                        new BlockOwner(BlockOwner.Kind.METADATA, "fs tree", -1, -1))));
            }
            bytes += r[1] * BLOCK;
        }
        return -1;
    }

    /** Whether every range was read exactly once. */
    public boolean eachReadOnce() {
        if (reads.size() != ranges.size()) {
            return false;
        }
        return reads.values().stream().allMatch(c -> c.get() == 1);
    }
}
