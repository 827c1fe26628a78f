package org.cowstack.storage.api.bitmap;

/**
 * How a new bitmap is made.
 *
 * @param granularity bytes per bit: a power of two from 512 to 2 GiB
 * @param recording   whether it records writes from the start (qemu's {@code disabled} is false)
 * @param persistent  whether it is stored on the volume (a transient bitmap lives until unmount)
 * @param mode        how a persistent bitmap survives a crash
 */
public record BitmapOptions(long granularity, boolean recording, boolean persistent, BitmapMode mode) {
    /** The default granularity: 64 KiB, qemu's for most images. */
    public static final long DEFAULT_GRANULARITY = 64L << 10;
    /** The smallest granularity. */
    public static final long MIN_GRANULARITY = 512;
    /** The largest granularity. */
    public static final long MAX_GRANULARITY = 1L << 31;

    public BitmapOptions {
        if (mode == null) {
            throw new IllegalArgumentException("a bitmap needs a mode");
        }
    }

    /** Recording, persistent, transactional, 64 KiB granules. */
    public static BitmapOptions defaults() {
        return new BitmapOptions(DEFAULT_GRANULARITY, true, true, BitmapMode.TRANSACTIONAL);
    }

    public BitmapOptions granularity(long bytes) {
        return new BitmapOptions(bytes, recording, persistent, mode);
    }

    public BitmapOptions recording(boolean on) {
        return new BitmapOptions(granularity, on, persistent, mode);
    }

    public BitmapOptions persistent(boolean on) {
        return new BitmapOptions(granularity, recording, on, mode);
    }

    public BitmapOptions mode(BitmapMode m) {
        return new BitmapOptions(granularity, recording, persistent, m);
    }
}
