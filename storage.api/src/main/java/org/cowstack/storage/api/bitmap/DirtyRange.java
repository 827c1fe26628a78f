package org.cowstack.storage.api.bitmap;

/** A run of dirty bytes of a file: adjacent dirty granules merged. */
public record DirtyRange(long offset, long length) {
    public long end() {
        return offset + length;
    }
}
