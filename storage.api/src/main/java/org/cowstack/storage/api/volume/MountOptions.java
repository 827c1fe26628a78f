package org.cowstack.storage.api.volume;

import java.time.Duration;

import org.cowstack.storage.api.InvalidArgumentException;

/** Options for {@link VolumeManager#mount}. Immutable; start from {@link #defaults()}. */
public final class MountOptions {
    private static final MountOptions DEFAULTS = new MountOptions(false, "first-fit", "buffered",
            Duration.ofSeconds(30), Duration.ofSeconds(10), "");

    private final boolean readOnly;
    private final String allocationPolicy;
    private final String dioStrategy;
    private final Duration commitInterval;
    private final Duration suspendTimeout;
    private final String checksum;

    private MountOptions(boolean readOnly, String allocationPolicy, String dioStrategy, Duration commitInterval,
            Duration suspendTimeout, String checksum) {
        this.checksum = checksum;
        this.readOnly = readOnly;
        this.allocationPolicy = allocationPolicy;
        this.dioStrategy = dioStrategy;
        this.commitInterval = commitInterval;
        this.suspendTimeout = suspendTimeout;
    }

    /**
     * Read-write, first-fit, buffered direct I/O, commit every 30 s, wait 10 s for a
     * missing service, any checksum algorithm.
     */
    public static MountOptions defaults() {
        return DEFAULTS;
    }

    public MountOptions readOnly(boolean value) {
        return new MountOptions(value, allocationPolicy, dioStrategy, commitInterval, suspendTimeout, checksum);
    }

    /** Allocation policy by name. */
    public MountOptions allocationPolicy(String name) {
        return new MountOptions(readOnly, name, dioStrategy, commitInterval, suspendTimeout, checksum);
    }

    /** Direct-I/O fallback strategy by name. */
    public MountOptions dioStrategy(String name) {
        return new MountOptions(readOnly, allocationPolicy, name, commitInterval, suspendTimeout, checksum);
    }

    /** How often dirty data is committed without an fsync; positive. */
    public MountOptions commitInterval(Duration value) throws InvalidArgumentException {
        if (value.isNegative() || value.isZero()) {
            throw new InvalidArgumentException("commitInterval", value, "a positive duration");
        }
        return new MountOptions(readOnly, allocationPolicy, dioStrategy, value, suspendTimeout, checksum);
    }

    /** How long operations wait for a missing service before failing; zero or positive. */
    public MountOptions suspendTimeout(Duration value) throws InvalidArgumentException {
        if (value.isNegative()) {
            throw new InvalidArgumentException("suspendTimeout", value, "a duration >= 0");
        }
        return new MountOptions(readOnly, allocationPolicy, dioStrategy, commitInterval, value, checksum);
    }

    /**
     * The checksum algorithm the image must use, by name: the mount is refused when it
     * uses another (a configuration that names one cannot mount a reformatted device by
     * mistake). Empty: any.
     */
    public MountOptions checksum(String name) {
        return new MountOptions(readOnly, allocationPolicy, dioStrategy, commitInterval, suspendTimeout,
                name == null ? "" : name);
    }

    public String checksum() {
        return checksum;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public String allocationPolicy() {
        return allocationPolicy;
    }

    public String dioStrategy() {
        return dioStrategy;
    }

    public Duration commitInterval() {
        return commitInterval;
    }

    public Duration suspendTimeout() {
        return suspendTimeout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MountOptions m && readOnly == m.readOnly && allocationPolicy.equals(m.allocationPolicy)
                && dioStrategy.equals(m.dioStrategy) && commitInterval.equals(m.commitInterval)
                && suspendTimeout.equals(m.suspendTimeout) && checksum.equals(m.checksum);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(readOnly, allocationPolicy, dioStrategy, commitInterval, suspendTimeout,
                checksum);
    }

    @Override
    public String toString() {
        return (readOnly ? "ro" : "rw") + ", alloc " + allocationPolicy + ", dio " + dioStrategy + ", commit every "
                + commitInterval.toMillis() + " ms, suspend timeout " + suspendTimeout.toMillis() + " ms"
                + (checksum.isEmpty() ? "" : ", csum " + checksum);
    }
}
