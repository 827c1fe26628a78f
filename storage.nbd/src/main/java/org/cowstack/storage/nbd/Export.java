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
 */
public record Export(String name, String description, Volume volume, String path, boolean readOnly,
        java.util.List<String> bitmaps) {
    public Export {
        bitmaps = java.util.List.copyOf(bitmaps);
    }
}
