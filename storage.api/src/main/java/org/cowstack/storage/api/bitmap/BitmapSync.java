package org.cowstack.storage.api.bitmap;

/** What a backup does to its bitmap when it ends (qemu's {@code bitmap-mode}). */
public enum BitmapSync {
    /** Cleared of what was copied if the backup succeeded; unchanged (plus new writes) if not. */
    ON_SUCCESS,
    /** Cleared of what was copied, whether the backup succeeded or not. */
    ALWAYS,
    /** Never cleared: a differential backup (new writes are still recorded). */
    NEVER;

    /** As typed: {@code on-success}, {@code always}, {@code never}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
