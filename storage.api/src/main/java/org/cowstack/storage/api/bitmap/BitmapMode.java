package org.cowstack.storage.api.bitmap;

/** How a persistent bitmap survives a crash. */
public enum BitmapMode {
    /**
     * Its bits are committed in the same transaction as the data they describe: after
     * any power cut it is exactly right for the state the volume mounts at, and never
     * inconsistent (beyond qemu).
     */
    TRANSACTIONAL,
    /**
     * qemu's: an in-use flag is set on disk while the bitmap is loaded writable, its bits
     * live in memory and are stored at a clean unmount or a remount read-only. After an
     * unclean shutdown it loads inconsistent.
     */
    QEMU;

    /** The name typed in {@code storage:bitmap add --mode}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
