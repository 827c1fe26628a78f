package org.cowstack.storage.cow.meta;

import java.util.concurrent.atomic.AtomicLong;

import org.cowstack.storage.api.scrub.DeviceErrors;

/**
 * A volume's device error counters (btrfs's device stats) and its count of bad copies
 * repaired: counted where the error is seen (the bound device for media errors, the
 * commit for flushes, the block and node reads for checksums and generations), loaded
 * from the status tree at mount and stored there by the next commit after a change
 * (in memory only on a read-only volume). Lock-free: safe from any thread, under any
 * lock; an increment never blocks and never throws.
 */
public final class ErrorCounters {
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong write = new AtomicLong();
    private final AtomicLong flush = new AtomicLong();
    private final AtomicLong checksum = new AtomicLong();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    /** Bumped by every change; the store remembers the value it stored. */
    private final AtomicLong changes = new AtomicLong();
    private volatile long stored;

    /** The device failed a read (a media error). */
    public void read() {
        bump(read, 1);
    }

    /** The device failed a write. */
    public void write() {
        bump(write, 1);
    }

    /** The device failed a flush. */
    public void flush() {
        bump(flush, 1);
    }

    /** A block or node read whose checksum did not match. */
    public void checksum() {
        bump(checksum, 1);
    }

    /** A node with a generation other than its parent expects (a lost or misdirected write). */
    public void generation() {
        bump(generation, 1);
    }

    /** {@code blocks} bad copies were rewritten from a good copy (by a read or a scrub). */
    public void repaired(long blocks) {
        if (blocks > 0) {
            bump(repaired, blocks);
        }
    }

    private void bump(AtomicLong counter, long n) {
        counter.addAndGet(n);
        changes.incrementAndGet();
    }

    /** The counters now. */
    public DeviceErrors snapshot() {
        return new DeviceErrors(read.get(), write.get(), flush.get(), checksum.get(), generation.get());
    }

    /** Bad copies repaired since the last reset. */
    public long repairs() {
        return repaired.get();
    }

    /** Back to zero; the next commit stores the zeros. Answers the counters as they were. */
    public DeviceErrors reset() {
        DeviceErrors before = new DeviceErrors(read.getAndSet(0), write.getAndSet(0), flush.getAndSet(0),
                checksum.getAndSet(0), generation.getAndSet(0));
        repaired.set(0);
        changes.incrementAndGet();
        return before;
    }

    /** The counters as the status tree holds them: what a mount does before anything counts. */
    public void load(DeviceErrors stored, long repairs) {
        read.set(stored.read());
        write.set(stored.write());
        flush.set(stored.flush());
        checksum.set(stored.checksum());
        generation.set(stored.generation());
        repaired.set(repairs);
        this.stored = changes.get();
    }

    /** Whether something changed since the counters were last loaded or stored. */
    public boolean changed() {
        return changes.get() != stored;
    }

    /**
     * A consistent-enough view to store, with the change mark it covers; pass the mark to
     * {@link #stored(long)} once it is in the tree (a change meanwhile stays pending).
     */
    public long mark() {
        return changes.get();
    }

    /** What {@link #mark()} answered was stored. */
    public void stored(long mark) {
        this.stored = mark;
    }
}
