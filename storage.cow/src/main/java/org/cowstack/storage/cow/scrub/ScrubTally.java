package org.cowstack.storage.cow.scrub;

import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.scrub.DamagedRange;

/** What a scrub read and found so far. Thread-safe; counts only grow. */
public final class ScrubTally {
    private long bytesDone;
    private long blocksChecked;
    private long errors;
    private long corrected;
    private long uncorrectable;
    private long unverified;
    private final List<DamagedRange> damaged = new ArrayList<>();

    public ScrubTally() {
    }

    /** A tally continuing one that was persisted. */
    public ScrubTally(long bytesDone, long blocksChecked, long errors, long corrected, long uncorrectable,
            long unverified, List<DamagedRange> damaged) {
        this.bytesDone = bytesDone;
        this.blocksChecked = blocksChecked;
        this.errors = errors;
        this.corrected = corrected;
        this.uncorrectable = uncorrectable;
        this.unverified = unverified;
        this.damaged.addAll(damaged);
    }

    /** {@code blocks} blocks of {@code bytes} bytes were read and verified (or found bad). */
    public synchronized void checked(long blocks, long bytes) {
        blocksChecked += blocks;
        bytesDone += bytes;
    }

    /** A bad range: counted as errors (one per block), and as corrected or uncorrectable. */
    public synchronized void damaged(DamagedRange range) {
        errors += range.blocks();
        if (range.repaired()) {
            corrected += range.blocks();
        } else {
            uncorrectable += range.blocks();
        }
        damaged.add(range);
    }

    /** An error that a retry of the same read did not repeat. */
    public synchronized void unverified(long blocks) {
        unverified += blocks;
    }

    public synchronized long bytesDone() {
        return bytesDone;
    }

    public synchronized long blocksChecked() {
        return blocksChecked;
    }

    public synchronized long errors() {
        return errors;
    }

    public synchronized long corrected() {
        return corrected;
    }

    public synchronized long uncorrectable() {
        return uncorrectable;
    }

    public synchronized long unverified() {
        return unverified;
    }

    public synchronized List<DamagedRange> damaged() {
        return List.copyOf(damaged);
    }
}
