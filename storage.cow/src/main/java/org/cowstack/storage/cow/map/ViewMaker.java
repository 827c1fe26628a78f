package org.cowstack.storage.cow.map;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.device.DirectAccess;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.meta.Extents;

/**
 * How a {@link CowMapping}'s views are made from what its file holds: the run at a
 * block looked up, then shown from the device's memory (verified in place, a bad block
 * healed), from the read cache's pinned page of that physical block, or as zeros.
 * Registering the view is the mapping's.
 */
final class ViewMaker {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final CowMapping mapping;
    private final Mappings registry;
    private final long inode;
    private final String path;
    private final long offset;
    private final long length;
    private final int bs;

    ViewMaker(CowMapping mapping) {
        this.mapping = mapping;
        this.registry = mapping.registry();
        this.inode = mapping.inode();
        this.path = mapping.path();
        this.offset = mapping.offset();
        this.length = mapping.length();
        this.bs = registry.blockSize();
    }

    /** What the file holds at a block: a run of written blocks, or of zeros (a hole, preallocated). */
    record Run(long first, long end, long shownEnd, long physical, long mirror, boolean checksummed) {
        boolean written() {
            return physical >= 0;
        }
    }

    /** A view of zeros: a hole or a preallocated run. */
    View zeros(Run run, long at, long epoch) {
        int n = (int) Math.min(run.shownEnd() - at, ZEROS.capacity());
        return new View(mapping, at, at / bs, (at + n + bs - 1) / bs, -1, -1, ZEROS.slice(0, n), null, epoch);
    }

    /** The run at block {@code b}, in the mapping and the file. Tree lock held. */
    Run lookup(long b, long at) throws IOException {
        VolumeCore core = registry.core;
        long size = core.inodes.getOrThrow(inode, path).size();
        if (at >= size) {
            throw new InvalidArgumentException("offset in " + path, at, "below the end of the file, " + size
                    + " bytes (a mapping shows no bytes past it)");
        }
        long shownEnd = Math.min(offset + length, size);
        long limit = Math.min((shownEnd + bs - 1) / bs, b + CowMapping.MAX_VIEW_BYTES / bs);
        List<Extents.Mapping> found = core.extents.within(inode, b, limit);
        Extents.Mapping m = found.isEmpty() ? null : found.get(0);
        if (m == null || m.fileBlock() > b) {
            long end = m == null ? limit : m.fileBlock();
            return new Run(b, end, Math.min(shownEnd, end * bs), -1, 0, false);
        }
        long end = m.fileEnd();
        if (m.extent().unwritten()) {
            return new Run(b, end, Math.min(shownEnd, end * bs), -1, 0, false);
        }
        return new Run(b, end, Math.min(shownEnd, end * bs), m.extent().physical(),
                m.extent().hasMirror() ? m.extent().mirror() : 0, m.extent().checksummed());
    }

    /** A view of the device's memory: its blocks verified in place; a bad first block is healed and shown from memory. */
    View deviceView(DirectAccess memory, Run run, long at, long epoch) throws IOException {
        int n = (int) (run.end() - run.first());
        ByteBuffer whole;
        try {
            whole = memory.view(run.physical() * bs, n * bs);
        } catch (org.cowstack.storage.api.MediaErrorException e) {
            int good = 0; // the view stops before the first bad block
            while (good < n && readable(memory, run.physical() + good)) {
                good++;
            }
            if (good == 0) {
                return heal(run, at, epoch);
            }
            whole = memory.view(run.physical() * bs, good * bs);
        }
        n = whole.capacity() / bs;
        if (run.checksummed()) {
            int good = registry.io.verified(path, run.physical(), n, whole, 0);
            if (good == 0) {
                return heal(run, at, epoch);
            }
            n = good;
        }
        int within = (int) (at - run.first() * bs);
        int len = (int) Math.min((long) n * bs - within, run.shownEnd() - at);
        return new View(mapping, at, run.first(), run.first() + n, run.physical(), run.physical() * bs + within,
                whole.slice(within, len), null, epoch);
    }

    private boolean readable(DirectAccess memory, long physical) throws IOException {
        try {
            memory.view(physical * bs, bs);
            return true;
        } catch (org.cowstack.storage.api.MediaErrorException e) {
            return false;
        }
    }

    /**
     * The first block of the run is bad on the device (a checksum or a media error): read
     * it through the block-I/O path, which takes the second copy and queues the rewrite of
     * the first, or fails as a read does. The view shows the good copy from memory (one
     * block); a writable volume waits for the rewrite first, so the next view is the
     * device's again.
     */
    private View heal(Run run, long at, long epoch) throws IOException {
        VolumeCore core = registry.core;
        ByteBuffer good = readBlock(run);
        if (!core.readOnly()) {
            try {
                core.repairs.await(); // the rewrite of the bad copy, which tells the change hook
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while " + path + " at offset " + at + " was repaired", e);
            }
        }
        return copyView(run, at, good, null, epoch);
    }

    /** Block {@code run.first()} read from the device and verified (healed from its second copy where it has one). */
    private ByteBuffer readBlock(Run run) throws IOException {
        VolumeCore core = registry.core;
        long since = core.repairs.mark();
        ByteBuffer block = registry.io.allocate(bs);
        registry.io.read(block, run.physical(), run.mirror(), inode, since);
        block.flip();
        if (run.checksummed()) {
            registry.io.verify(inode, path, run.first(), run.physical(), run.mirror(), 1, block, 0, since);
        }
        return block;
    }

    /** A view of one block from the read cache, pinned there; the cache's copy is every file's copy of that block. */
    View cacheView(Run run, long at, long epoch, long fileVersion, long physVersion) throws IOException {
        var cache = registry.cache();
        ByteBuffer page = cache.pin(run.physical());
        registry.reads.countMapped(page != null);
        if (page == null) {
            ByteBuffer block = readBlock(run);
            cache.insertPhysical(run.physical(), block.duplicate(), physVersion);
            page = cache.pin(run.physical());
            if (page == null) {
                return copyView(run, at, block, null, epoch); // the cache cannot hold it: a copy of its own
            }
        }
        cache.link(inode, run.first(), run.physical(), 1, fileVersion); // the file's reads find it too
        return copyView(run, at, page, page, epoch);
    }

    private View copyView(Run run, long at, ByteBuffer block, ByteBuffer pinned, long epoch) {
        int within = (int) (at - run.first() * bs);
        int len = (int) Math.min(bs - within, run.shownEnd() - at);
        return new View(mapping, at, run.first(), run.first() + 1, run.physical(), -1,
                block.asReadOnlyBuffer().slice(within, len), pinned, epoch);
    }
}
