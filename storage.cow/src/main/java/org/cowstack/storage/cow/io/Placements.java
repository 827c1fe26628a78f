package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.util.Arrays;

import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.meta.Extents;

/**
 * Where each block of a file range lives, and whether a write may overwrite it there.
 * In place is allowed for a block with exactly one reference and none dropped since the
 * last commit (see {@code RefCounts.exclusive}) that is either preallocated (the last
 * commit reads it as zeros whatever it holds) or belongs to a NOCOW file and lies
 * within the file's size in the last durable commit (the block holding that commit's end
 * of file, or blocks past it, copy: a crash must not change what that commit shows,
 * checksums included) and has no transactional dirty bitmap (whose bits a crash must
 * not separate from the data they describe); every other
 * write copies on write (DESIGN P2: sharing is counted per block, so this is decided
 * per block).
 */
public final class Placements {
    /**
     * The layout of a file range.
     *
     * @param physical block per file block, -1 for a hole
     * @param flags    the mapping extent's flags per file block
     * @param inPlace  per file block: whether a write may overwrite it where it is
     * @param mirror   the block's second copy ({@code dup} data) per file block, 0 for none
     */
    public record Placement(long[] physical, int[] flags, boolean[] inPlace, long[] mirror) {
        /**
         * The end of the run from {@code k} that one write can do: blocks going in place that
         * are contiguous on disk with the same flags, or blocks to copy on write.
         */
        public int runEnd(int k) {
            int j = k + 1;
            if (inPlace[k]) {
                while (j < inPlace.length && inPlace[j] && physical[j] == physical[j - 1] + 1 && flags[j] == flags[k]
                        && (mirror[k] == 0 ? mirror[j] == 0 : mirror[j] == mirror[j - 1] + 1)) {
                    j++;
                }
            } else {
                while (j < inPlace.length && !inPlace[j]) {
                    j++;
                }
            }
            return j;
        }

        public int inPlaceCount() {
            int n = 0;
            for (boolean b : inPlace) {
                if (b) {
                    n++;
                }
            }
            return n;
        }

        /** The extent of blocks {@code [k, j)}, which one extent maps contiguously (both copies). */
        public ExtentItem piece(int k, int j) {
            return new ExtentItem(physical[k], j - k, flags[k], mirror[k]);
        }

        /** Whether block {@code j} continues block {@code j - 1} on disk, both copies, with the same flags. */
        public boolean continues(int j) {
            return physical[j] == physical[j - 1] + 1 && flags[j] == flags[j - 1]
                    && (mirror[j - 1] == 0 ? mirror[j] == 0 : mirror[j] == mirror[j - 1] + 1);
        }

        /** True when block {@code k} holds written data (not a hole, not preallocated). */
        public boolean isData(int k) {
            return physical[k] >= 0 && (flags[k] & ExtentItem.UNWRITTEN) == 0;
        }
    }

    private final VolumeCore core;

    public Placements(VolumeCore core) {
        this.core = core;
    }

    /** Where each block of a file range lives (physical and flags), with no in-place answers. Tree lock held. */
    public Placement layout(long ino, long first, int count) throws IOException {
        return layout(ino, first, count, false, false);
    }

    /** See {@link Placements}. Tree lock held, ledger applied. */
    public Placement decide(long ino, boolean nocow, long first, int count) throws IOException {
        return layout(ino, first, count, nocow, true);
    }

    private Placement layout(long ino, long first, int count, boolean nocow, boolean decide) throws IOException {
        long[] physical = new long[count];
        Arrays.fill(physical, -1);
        int[] flags = new int[count];
        boolean[] inPlace = new boolean[count];
        long[] mirror = new long[count];
        nocow &= decide && !core.changes.needsWritesInTransactions(ino);
        long durableBlocks = nocow ? core.inodes.durableSize(ino) / core.blockSize : Long.MAX_VALUE;
        for (Extents.Mapping m : core.extents.within(ino, first, first + count)) {
            boolean candidate = decide && (nocow || m.extent().unwritten());
            int n = (int) m.extent().blocks();
            boolean[] exclusive = candidate ? core.refCounts.exclusive(m.extent().physical(), n) : null;
            if (candidate) { // a count of one is trusted only if no other file maps those blocks
                core.backRefs.checkSoleOwner(m.extent().physical(), exclusive, ino, m.fileBlock());
                if (m.extent().hasMirror()) {
                    core.backRefs.checkSoleOwner(m.extent().mirror(), exclusive, ino, m.fileBlock());
                }
            }
            for (int i = 0; i < n; i++) {
                int at = (int) (m.fileBlock() - first) + i;
                physical[at] = m.extent().physical() + i;
                flags[at] = m.extent().flags();
                mirror[at] = m.extent().hasMirror() ? m.extent().mirror() + i : 0;
                inPlace[at] = candidate && exclusive[i]
                        && (m.extent().unwritten() || m.fileBlock() + i < durableBlocks);
            }
        }
        return new Placement(physical, flags, inPlace, mirror);
    }

    /**
     * Where a write's blocks are and which may go in place, as of now; null when none may
     * (the common case, answered under the shared lock).
     */
    public Placement forWrite(long ino, String path, long first, int count) throws IOException {
        boolean candidates = core.treeLock.reading(() -> {
            boolean nocow = core.inodes.getOrThrow(ino, path).has(InodeItem.NOCOW);
            for (Extents.Mapping m : core.extents.overlapping(ino, first, first + count)) {
                if (nocow || m.extent().unwritten()) {
                    return true;
                }
            }
            return false;
        });
        if (!candidates) {
            return null;
        }
        return core.treeLock.changing(() -> {
            core.refCounts.apply(core.ledger);
            Placement p = decide(ino, core.inodes.getOrThrow(ino, path).has(InodeItem.NOCOW), first, count);
            return p.inPlaceCount() > 0 ? p : null;
        });
    }
}
