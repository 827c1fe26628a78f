package org.cowstack.storage.api.bitmap;

/** What a backup copies (qemu's {@code sync}). */
public enum BackupSync {
    /** Every byte of the file (holes stay holes). */
    FULL,
    /** The granules the bitmap has set: an incremental backup. */
    BITMAP;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
