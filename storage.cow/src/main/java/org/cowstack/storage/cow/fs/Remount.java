package org.cowstack.storage.cow.fs;

import java.io.IOException;

import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.Committer;

/**
 * Remount in place: a mounted volume changes between read-only and read-write without
 * unmounting, so its open files, caches and Volume service stay. The gate is taken
 * exclusively, so the operations in flight finish first and none starts meanwhile.
 */
final class Remount {
    /** What else changes with the mode: told before a volume goes read-only, and before it takes changes again. */
    @FunctionalInterface
    interface Participant {
        /**
         * @param readOnly true: the volume is about to commit and refuse changes; false: it is
         *                 about to take changes, and a failure here keeps it read-only
         */
        void modeChanging(boolean readOnly) throws IOException;
    }

    private final VolumeCore core;
    private final Committer committer;
    private final DeviceOpener reopen;
    private final Participant participant;

    /** @param reopen opens the device again, for a volume mounted from a read-only device; null for none */
    Remount(VolumeCore core, Committer committer, DeviceOpener reopen, Participant participant) {
        this.core = core;
        this.committer = committer;
        this.reopen = reopen;
        this.participant = participant;
    }

    /**
     * To read-only: commits, then refuses every change. To read-write: takes changes
     * again, opening the device for writing first if it was opened read-only.
     *
     * @throws ReadOnlyException when the volume cannot take changes: its image has
     *         read-only features this engine does not know, or its device cannot be
     *         opened for writing (the mode is then unchanged)
     */
    void to(boolean readOnly) throws IOException {
        core.bindings.exclusive(() -> {
            core.checkUsable();
            if (readOnly == core.readOnly()) {
                return null;
            }
            if (readOnly) {
                participant.modeChanging(true);
                if (core.dirty()) {
                    committer.sync();
                }
                core.readOnly(true);
                return null;
            }
            long unknown = VolumeFormat.unknownReadOnlyFeatures(core.committed());
            if (unknown != 0) {
                throw new ReadOnlyException(String.format("volume %s: its image has read-only compatible features "
                        + "0x%x that this engine does not know", core.name, unknown));
            }
            if (core.device.isReadOnly()) {
                reopenForWriting();
            }
            participant.modeChanging(false);
            core.readOnly(false);
            return null;
        });
    }

    /** The device was opened read-only: closed and opened again for writing. Gate held exclusively. */
    private void reopenForWriting() throws IOException {
        if (reopen == null) {
            throw new ReadOnlyException(core.deviceUri + " (opened read-only, and volume " + core.name
                    + " has no way to open it again for writing)");
        }
        BlockDevice old = core.bindings.device();
        core.bindings.device(null);
        old.close(); // a read-only open may hold a lock that an open for writing needs
        BlockDevice rw = null;
        try {
            rw = reopen.open(false);
            if (rw.isReadOnly() || rw.size() != core.device.size() || rw.blockSize() != core.device.blockSize()
                    || !VolumeFormat.holdsLastCommit(rw, core)) {
                throw new ReadOnlyException(core.deviceUri + " (opened for writing it is read-only, or no longer "
                        + "holds what volume " + core.name + " last committed)");
            }
            core.bindings.device(rw);
        } catch (IOException | RuntimeException e) {
            try {
                if (rw != null) {
                    rw.close();
                }
                core.bindings.device(reopen.open(true)); // back as it was: read-only
            } catch (IOException | RuntimeException back) {
                // Left without a device: OFFLINE until its backend brings it back.
                e.addSuppressed(back);
            }
            throw e;
        }
    }
}
