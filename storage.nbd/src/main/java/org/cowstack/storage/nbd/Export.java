package org.cowstack.storage.nbd;

import org.cowstack.storage.api.volume.Volume;

/**
 * One file of a mounted volume served under an export name.
 *
 * @param name        the NBD export name clients ask for
 * @param description shown by {@code NBD_OPT_LIST} and {@code NBD_INFO_DESCRIPTION}
 * @param volume      the mounted volume
 * @param path        the file in it (it must exist)
 * @param readOnly    whether writes, trims and zeroes are refused with EPERM
 * @param bitmaps     the file's dirty bitmaps offered as {@code qemu:dirty-bitmap:NAME} contexts
 * @param multiConn   whether {@code NBD_FLAG_CAN_MULTI_CONN} is advertised (it holds here: a
 *                    flush commits the volume, so every completed write of every connection
 *                    is durable; off for a client that should not open several connections)
 */
public record Export(String name, String description, Volume volume, String path, boolean readOnly,
        java.util.List<String> bitmaps, boolean multiConn) {
    public Export {
        bitmaps = java.util.List.copyOf(bitmaps);
    }

    /** An export that advertises MULTI_CONN. */
    public Export(String name, String description, Volume volume, String path, boolean readOnly,
            java.util.List<String> bitmaps) {
        this(name, description, volume, path, readOnly, bitmaps, true);
    }
}
