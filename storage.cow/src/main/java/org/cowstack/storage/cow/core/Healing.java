package org.cowstack.storage.cow.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What the block-I/O path found bad and what it repaired from a second copy: counts,
 * and one log line per event (volume, what owns the block, physical block, which copy,
 * repaired or not) for whoever listens (the volume manager's log).
 */
public final class Healing {
    private final org.cowstack.storage.cow.meta.ErrorCounters errors;
    private final AtomicLong found = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    private final AtomicLong unrepaired = new AtomicLong();
    private volatile Consumer<String> log = line -> { };
    private volatile Consumer<String> metadataLost = reason -> { };

    /** Events go to the volume's device error counters too (checksum, generation, repaired). */
    public Healing(org.cowstack.storage.cow.meta.ErrorCounters errors) {
        this.errors = errors;
    }

    /** A block read did not match its checksum (counted per block, repaired or not). */
    public void checksumError() {
        errors.checksum();
    }

    /** A node was not the one its parent names (generation, block, owner or level): a lost or misdirected write. */
    public void generationError() {
        errors.generation();
    }

    /** Where event lines go (the OSGi log once the manager sets it). */
    public void log(Consumer<String> sink) {
        this.log = sink == null ? line -> { } : sink;
    }

    /** {@code blocks} bad blocks were found; {@code fixed} of them were rewritten from a good copy. */
    public void event(long blocks, long fixed, String line) {
        found.addAndGet(blocks);
        repaired.addAndGet(fixed);
        if (fixed > 0) {
            errors.repaired(fixed);
        }
        unrepaired.addAndGet(blocks - fixed);
        try {
            log.accept(line);
        } catch (RuntimeException ignored) {
            // logging never fails a read
        }
    }

    /** What happens when a metadata block has no good copy left (the volume goes read-only). */
    public void onMetadataLost(Consumer<String> action) {
        this.metadataLost = action;
    }

    /** A metadata block has no good copy: {@code reason} names it. */
    public void metadataLost(String reason) {
        metadataLost.accept(reason);
    }

    public long found() {
        return found.get();
    }

    public long repaired() {
        return repaired.get();
    }

    public long unrepaired() {
        return unrepaired.get();
    }
}
