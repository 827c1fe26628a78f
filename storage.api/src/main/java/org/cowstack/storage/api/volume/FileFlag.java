package org.cowstack.storage.api.volume;

/** Per-file attributes ({@code chattr}/{@code lsattr}). */
public enum FileFlag {
    /** Overwrite unshared blocks in place instead of copying on write ({@code +C}). */
    NOCOW,
    /** Do not checksum data ({@code +nodatasum}). */
    NODATASUM
}
