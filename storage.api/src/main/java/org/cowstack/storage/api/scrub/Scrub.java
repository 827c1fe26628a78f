package org.cowstack.storage.api.scrub;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The scrub job of one mounted volume. At most one runs per volume; it runs in the
 * background, never holds the volume's tree lock while it reads, and persists its
 * position, so a paused or interrupted scrub resumes where it was after a restart.
 *
 * <p>Every method returns the status right after its change. Operations that do not
 * fit the job's state ({@code pause} of a job that is not running, {@code start} while
 * one runs or is paused) fail with {@link org.cowstack.storage.api.BusyException} or
 * {@link org.cowstack.storage.api.InvalidArgumentException} naming the state.
 */
@ProviderType
public interface Scrub {
    /**
     * Starts a scrub from the first block. A scrub that was interrupted (the process
     * stopped while it ran) or paused is continued by {@link #resume()}, not by this.
     *
     * @throws org.cowstack.storage.api.ReadOnlyException with {@code repair} on a read-only volume
     */
    ScrubStatus start(ScrubOptions options) throws IOException;

    /** The running, paused or last scrub's status; {@link ScrubState#NEVER} when there was none. */
    ScrubStatus status();

    /** Stops the running scrub after the block range in progress and persists its position. */
    ScrubStatus pause() throws IOException;

    /** Continues a paused or interrupted scrub from its persisted position. */
    ScrubStatus resume() throws IOException;

    /** Stops a running or paused scrub for good; its report so far stays as the last result. */
    ScrubStatus cancel() throws IOException;

    /** Changes the rate limit, in bytes per second (0: none), while running or for the next run. */
    ScrubStatus limit(long bytesPerSecond) throws IOException;

    /**
     * Waits until the scrub is no longer {@link ScrubState#RUNNING} or {@code millis}
     * pass, and returns its status.
     */
    ScrubStatus await(long millis) throws InterruptedException;
}
