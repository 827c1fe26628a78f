package org.cowstack.storage.cow.scrub;

import java.io.IOException;

/**
 * The engine's side of a scrub: reads and verifies a volume's allocated blocks in
 * physical order, every copy, without holding the tree lock while it reads. The job
 * ({@code ScrubJob}) drives it a piece at a time, between which it can pause, persist
 * its cursor and keep to its rate limit.
 */
public interface ScrubTarget {
    /** Bytes a whole scrub reads: every allocated block, every copy, as of now. */
    long totalBytes() throws IOException;

    /**
     * Checks allocated blocks from physical block {@code cursor} on, about
     * {@code maxBytes} of them (whole extents or nodes, so maybe a little more), adding
     * what it read and found to {@code tally}; with {@code repair}, rewrites bad copies
     * from good ones.
     *
     * @return the cursor to continue from, or -1 when no allocated block lies at or past it
     */
    long scrub(long cursor, long maxBytes, boolean repair, ScrubTally tally) throws IOException;
}
