package org.cowstack.storage.device.faulty;

import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A write held at the device before it reads its data, from {@link
 * FaultControl#pauseNextWrite}: the window in which a test changes the caller's buffer
 * after the engine computed its checksum and before the data reaches the medium
 * (DESIGN P1). Thread-safe.
 */
@ProviderType
public interface WritePause {
    /** Waits until a write is held here; false when none arrived in time. */
    boolean awaitPaused(Duration timeout) throws InterruptedException;

    /** True while a write is held here. */
    boolean paused();

    /** Byte offset of the held write on the device, or -1 before one arrives. */
    long offset();

    /**
     * Lets the held write go on, reading the buffer as it is now; if no write was held
     * yet, the pause is cancelled and none will be.
     */
    void release();
}
