package org.cowstack.storage.api.device;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A device whose bytes are addressable memory: a DAX mapping of persistent memory or
 * of a file. A volume on it hands out read views of file blocks that are slices of this
 * memory at the blocks' physical addresses, so two files sharing a block read the same
 * memory (DESIGN P4).
 *
 * <p>Implemented by {@link BlockDevice}s that can; a volume checks with {@code instanceof}.
 */
@ConsumerType
public interface DirectAccess {
    /**
     * The bytes {@code [offset, offset + length)} of the device as a read-only buffer
     * over the device's own memory: no copy, and writes to the range show through it.
     * Shorter (never below one block) where the memory is not contiguous beyond some
     * point (a {@code dax:} device's 1 GiB tiles).
     * The memory stays mapped as long as the buffer is reachable, also after the device
     * is closed (it then shows bytes that may no longer be current), so a buffer kept too
     * long never faults the JVM. Offsets and lengths follow {@link BlockDevice}'s
     * alignment rules.
     *
     * @throws org.cowstack.storage.api.MediaErrorException when the range holds a bad
     *         (poisoned) part, as a read of it would
     * @throws org.cowstack.storage.api.OfflineException after {@link BlockDevice#close()}
     */
    ByteBuffer view(long offset, int length) throws IOException;

    /**
     * Makes the writes that completed in {@code [offset, offset + length)} durable, and
     * only those (msync of a range): cheaper than {@link BlockDevice#flush()} when little
     * else was written.
     */
    void flush(long offset, long length) throws IOException;
}
