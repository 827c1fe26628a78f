package org.cowstack.storage.cow.extent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.RefRun;
import org.cowstack.storage.cow.io.Committer;
import org.cowstack.storage.cow.meta.Extents;

/**
 * The extent map of a file (FIEMAP): its mapped runs with their physical addresses and
 * flags ({@code unwritten}, {@code shared} per block, {@code nodatasum}) and the holes
 * between them. Blocks preallocated past the end of the file are listed too, as the
 * kernel lists them; holes are listed up to the end of the file only.
 */
public final class Fiemap {
    private final VolumeCore core;
    private final Committer committer;
    private final int blockSize;

    public Fiemap(VolumeCore core, Committer committer) {
        this.core = core;
        this.committer = committer;
        this.blockSize = core.blockSize;
    }

    /**
     * The map of bytes {@code [offset, offset + length)}, or from {@code offset} on when
     * {@code length} is 0; in bytes, contiguous runs with the same flags merged.
     */
    public List<ExtentMapping> map(long ino, String path, long offset, long length) throws IOException {
        core.checkUsable();
        if (offset < 0 || length < 0) {
            throw new InvalidArgumentException("range", offset + "+" + length, "offset and length >= 0");
        }
        long first = offset / blockSize;
        long last = length == 0 || length > Long.MAX_VALUE - offset ? Long.MAX_VALUE
                : (offset + length - 1) / blockSize + 1;
        // As FIEMAP_FLAG_SYNC: the dirty pages of the range are written back first, so that
        // what delayed allocation has not placed yet is mapped; a writeback, not a commit
        // (the kernel's flag waits for the file's writeback, not for the journal), and only
        // of the range asked, so block status over an NBD export being written stays cheap.
        committer.writeBackRange(ino, first, last);
        return core.treeLock.changing(() -> {
            core.refCounts.apply(core.ledger); // sharing as of now
            long size = core.inodes.getOrThrow(ino, path).size();
            long holesEnd = Math.min(last, core.blocksCovering(size));
            List<ExtentMapping> out = new ArrayList<>();
            long pos = first;
            for (Extents.Mapping m : core.extents.within(ino, first, last)) {
                if (m.fileBlock() > pos) {
                    add(out, pos, m.fileBlock() - pos, -1, EnumSet.of(ExtentMapping.Flag.HOLE));
                }
                for (RefRun run : core.refCounts.runs(m.extent().physical(), m.extent().blocks())) {
                    EnumSet<ExtentMapping.Flag> flags = EnumSet.noneOf(ExtentMapping.Flag.class);
                    if (m.extent().unwritten()) {
                        flags.add(ExtentMapping.Flag.UNWRITTEN);
                    }
                    if (!m.extent().checksummed()) {
                        flags.add(ExtentMapping.Flag.NODATASUM);
                    }
                    if (run.shared()) {
                        flags.add(ExtentMapping.Flag.SHARED);
                    }
                    add(out, m.fileBlock() + (run.start() - m.extent().physical()), run.blocks(), run.start(), flags);
                }
                pos = m.fileEnd();
            }
            if (pos < holesEnd) {
                add(out, pos, holesEnd - pos, -1, EnumSet.of(ExtentMapping.Flag.HOLE));
            }
            return out;
        });
    }

    /** Appends a mapping in bytes, merging with the previous one when flags match and blocks continue. */
    private void add(List<ExtentMapping> out, long fileBlock, long blocks, long physical,
            Set<ExtentMapping.Flag> flags) {
        long logical = fileBlock * blockSize;
        long bytes = blocks * blockSize;
        if (!out.isEmpty()) {
            ExtentMapping prev = out.get(out.size() - 1);
            boolean continues = prev.logical() + prev.length() == logical && prev.flags().equals(flags)
                    && (physical < 0 ? prev.physical() < 0 : prev.physical() + prev.length() == physical * blockSize);
            if (continues) {
                out.set(out.size() - 1, new ExtentMapping(prev.logical(), prev.length() + bytes, prev.physical(), flags));
                return;
            }
        }
        out.add(new ExtentMapping(logical, bytes, physical < 0 ? -1 : physical * blockSize, flags));
    }
}
