package org.cowstack.storage.api.scrub;

import java.time.Instant;
import java.util.List;

/**
 * A scrub's progress and report, consistent at one instant.
 *
 * @param state          where the job is
 * @param repair         whether it rewrites bad copies (false: read-only scrub)
 * @param bytesTotal     bytes it reads in all (every allocated block, every copy), as of its start
 * @param bytesDone      bytes read so far (never more than {@code bytesTotal})
 * @param bytesPerSecond recent read rate, 0 when not running
 * @param limit          rate limit in bytes per second, 0 for none
 * @param started        when it started (the first start, not a resume), or null
 * @param ended          when it finished, was cancelled or failed, or null
 * @param blocksChecked  blocks read and verified (each copy counts)
 * @param errors         bad copies found (checksum, media or metadata errors)
 * @param corrected      bad copies rewritten from a good copy
 * @param uncorrectable  blocks with no good copy
 * @param unverified     errors a retry of the same read did not repeat
 * @param damaged        every damaged range with its owners
 * @param failure        why it failed, or null
 */
public record ScrubStatus(ScrubState state, boolean repair, long bytesTotal, long bytesDone, long bytesPerSecond,
        long limit, Instant started, Instant ended, long blocksChecked, long errors, long corrected,
        long uncorrectable, long unverified, List<DamagedRange> damaged, String failure) {
    public ScrubStatus {
        damaged = List.copyOf(damaged);
    }

    /** Seconds left at the current rate, never negative; -1 when unknown (not running, no rate yet). */
    public long etaSeconds() {
        if (state != ScrubState.RUNNING || bytesPerSecond <= 0) {
            return -1;
        }
        return Math.max(0, bytesTotal - bytesDone) / bytesPerSecond;
    }

    /** Percent done, 0 to 100. */
    public double percent() {
        return bytesTotal <= 0 ? (state == ScrubState.FINISHED ? 100 : 0)
                : Math.min(100.0, 100.0 * bytesDone / bytesTotal);
    }
}
