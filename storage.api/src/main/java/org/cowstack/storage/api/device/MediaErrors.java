package org.cowstack.storage.api.device;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A device whose medium reports bad ranges as it finds them, not only to the read that
 * hits one: persistent memory's poison (a machine check, Linux's {@code notify_failure}
 * path to the file system), a disk's background media scan, the {@code faulty:} device's
 * injected poison. A volume on such a device registers one listener at mount and
 * repairs or marks what the range hurts; no process is killed.
 *
 * <p>Implemented by {@link BlockDevice}s that can; a volume checks with {@code instanceof}.
 */
@ConsumerType
public interface MediaErrors {
    /** Where bad ranges are told. */
    @FunctionalInterface
    @ConsumerType
    interface Listener {
        /**
         * Bytes {@code [offset, offset + length)} of the device are bad: reads of them
         * fail with {@link org.cowstack.storage.api.MediaErrorException} until a write
         * covers them. Called on the device's thread: return at once.
         */
        void mediaError(long offset, long length);
    }

    /** Tells {@code listener} of every bad range found from now on; replaces the one set before, null removes it. */
    void onMediaError(Listener listener);
}
