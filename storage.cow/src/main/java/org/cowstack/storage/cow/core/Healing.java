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
    private volatile Consumer<String> log;
    /** Lines of events before anyone listened (a mount's reads heal too), replayed to the first sink. */
    private final java.util.ArrayDeque<String> early = new java.util.ArrayDeque<>();
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
        java.util.List<String> replay;
        synchronized (early) {
            this.log = sink;
            replay = new java.util.ArrayList<>(early);
            early.clear();
        }
        if (sink != null) {
            replay.forEach(line -> tell(sink, line));
        }
    }

    private static void tell(Consumer<String> sink, String line) {
        try {
            sink.accept(line);
        } catch (RuntimeException ignored) {
            // logging never fails a read
        }
    }

    /** {@code blocks} bad blocks were found; {@code fixed} of them were rewritten from a good copy. */
    public void event(long blocks, long fixed, String line) {
        found.addAndGet(blocks);
        repaired.addAndGet(fixed);
        if (fixed > 0) {
            errors.repaired(fixed);
        }
        Consumer<String> sink = log;
        if (sink == null) {
            synchronized (early) {
                if (log == null) {
                    if (early.size() == 64) {
                        early.removeFirst();
                    }
                    early.addLast(line);
                    return;
                }
                sink = log;
            }
        }
        tell(sink, line);
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
}
