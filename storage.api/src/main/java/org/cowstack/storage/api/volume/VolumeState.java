package org.cowstack.storage.api.volume;

/** The life-cycle state of a mounted volume. */
public enum VolumeState {
    /** Mounted read-write. */
    MOUNTED,
    /** Mounted read-only, by request or after an error that forbids writing. */
    READ_ONLY,
    /** A service the volume uses is gone; operations wait for a replacement. */
    SUSPENDED,
    /** The device is gone; the volume comes back when its provider returns. */
    OFFLINE,
    /** The volume could not be mounted or hit an unrecoverable error. */
    FAILED
}
