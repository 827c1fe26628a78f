package org.cowstack.storage.api.scrub;

/** Where a volume's scrub job is. */
public enum ScrubState {
    /** No scrub has run on this volume. */
    NEVER,
    /** Reading. */
    RUNNING,
    /** Paused by a user, or interrupted (the process stopped while it ran): {@code resume} continues it. */
    PAUSED,
    /** Read every allocated block. */
    FINISHED,
    /** Cancelled before the end. */
    CANCELLED,
    /** Stopped by an error it could not go past (the device went away, the volume failed). */
    FAILED
}
