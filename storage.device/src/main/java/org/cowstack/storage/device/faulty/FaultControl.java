package org.cowstack.storage.device.faulty;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The faults a {@code faulty:} device injects. Cast the {@link
 * org.cowstack.storage.api.device.BlockDevice} opened with a {@code faulty:} URI to this
 * interface. Counting starts when the device is opened; faults apply to calls made
 * after they are set. Thread-safe.
 */
@ProviderType
public interface FaultControl {
    /** Writes seen since the device was opened (including failed and dropped ones). */
    long writes();

    /** The {@code n}-th write from now (1 = the next) fails with a media error; none of it is applied. */
    void failWrite(long n);

    /** Reads and/or writes that touch {@code [offset, offset + length)} fail with a media error. */
    void failRange(long offset, long length, boolean reads, boolean writes);

    /**
     * Poisons {@code [offset, offset + length)} as persistent memory does: reads that touch
     * it fail with a media error until a write covers it (which clears the poison of what
     * it covers), and the device's {@link org.cowstack.storage.api.device.MediaErrors}
     * listener is told at once, as a machine check tells the file system.
     */
    void poison(long offset, long length);

    /** While on, writes are acknowledged but not applied: they are lost. */
    void dropWrites(boolean on);

    /** While on, every write applies only a random prefix of its 512-byte sectors, and reports success. */
    void tearWrites(boolean on);

    /**
     * The power fails when the {@code n}-th write from now arrives (that write is in
     * flight, so it may or may not land), as {@link #powerCut()} does.
     */
    void powerCutAtWrite(long n);

    /**
     * The power fails now: every write since the last completed flush is lost, kept
     * whole or torn, at random and in any order (seeded by {@link #seed}); writes
     * before that flush are all kept. Every later call fails with a media error; the
     * inner device, opened again, shows what survived.
     */
    void powerCut();

    /** True after a power cut. */
    boolean poweredOff();

    /** Seeds the choices of torn writes and power cuts, so that a failure replays. */
    void seed(long seed);

    /**
     * The next write of at least {@code minBytes} bytes stops before it reads its data
     * and waits until the pause is {@linkplain WritePause#release released} (for at most
     * a minute, so a forgotten pause cannot hang a test run). Other writes pass meanwhile.
     */
    WritePause pauseNextWrite(long minBytes);

    /** Removes every fault that is set (not a power cut that happened). */
    void clearFaults();
}
