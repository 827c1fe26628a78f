package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.api.scrub.VolumeHealth;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.meta.DamagedRanges;

/** {@code Volume.health()}: the damaged file ranges with their paths, the counters, the last scrub. */
public final class Health {
    private Health() {
    }

    public static VolumeHealth of(VolumeCore core, ScrubStatus lastScrub) {
        List<DamagedRange> damaged = new ArrayList<>();
        for (DamagedRanges.Range r : core.damaged.all()) {
            BlockOwner owner = new BlockOwner(BlockOwner.Kind.FILE, pathOf(core, r.inode()), r.inode(),
                    r.fileBlock() * core.blockSize);
            damaged.add(new DamagedRange(r.physical(), r.blocks(), 1, r.causeName(), false, List.of(owner)));
        }
        String why = core.readOnlyReason();
        if (why == null && core.failure() != null) {
            why = "failed: " + core.failure();
        }
        return new VolumeHealth(damaged, core.errors.snapshot(), lastScrub, core.errors.repairs(), why);
    }

    /** The file's path now, or a placeholder naming the inode when it cannot be found (offline, deleted). */
    private static String pathOf(VolumeCore core, long inode) {
        if (core.bindings.closed()) {
            return "(inode " + inode + ")";
        }
        try {
            return core.treeLock.reading(() -> core.inodes.pathOf(inode));
        } catch (IOException | Corruption e) {
            return "(inode " + inode + ")";
        }
    }
}
