package org.cowstack.storage.cow.bitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.bitmap.Backup;
import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.extent.Remap;
import org.cowstack.storage.cow.io.Committer;
import org.cowstack.storage.cow.io.ReadPath;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.ns.Namespace;

/**
 * A backup of one file, beyond qemu's copy-before-write: the file is cloned, metadata
 * only, into a file with no name when the backup starts, and the bitmap is frozen at the
 * same instant (both under the file's lock, so no write falls between them). The backup
 * reads that clone, so it copies exactly the file as it was; writes during it go to the
 * file and are recorded in the bitmap and in its successor. At the end qemu's
 * {@link BitmapSync} rule decides what the bitmap holds:
 * <ul>
 * <li>{@code on-success}: the writes since the start if the backup succeeded; otherwise
 * everything it had plus those writes;</li>
 * <li>{@code always}: the writes since the start plus what was not copied;</li>
 * <li>{@code never}: everything it had plus the writes since the start.</li>
 * </ul>
 * The view and the bitmap's state at the start are committed before the backup copies
 * anything, so a crash never rolls the volume back behind a backup it took. The clone is
 * removed at the end; a crash leaves it as an orphan the next mount removes, and the
 * bitmap as a failed backup leaves it (it recorded every write throughout).
 */
public final class BackupSession implements Backup {
    private final VolumeCore core;
    private final Bitmaps bitmaps;
    private final Namespace namespace;
    private final ReadPath reads;
    private final String path;
    /** The clone read from; the file itself on a read-only volume (nothing can change it). */
    private final long view;
    private final boolean viewIsClone;
    private final long size;
    private final DirtyBitmap bitmap;
    private final BitmapSync mode;
    /** The bitmap's bits when the backup started. */
    private final DirtyBits frozen;
    /** Granules copied, for {@code always}. */
    private final DirtyBits copied = new DirtyBits();
    private final List<DirtyRange> ranges;
    private boolean finished;

    private BackupSession(VolumeCore core, Bitmaps bitmaps, Namespace namespace, ReadPath reads, String path, long view,
            boolean viewIsClone, long size, DirtyBitmap bitmap, BitmapSync mode, DirtyBits frozen,
            List<DirtyRange> ranges) {
        this.core = core;
        this.bitmaps = bitmaps;
        this.namespace = namespace;
        this.reads = reads;
        this.path = path;
        this.view = view;
        this.viewIsClone = viewIsClone;
        this.size = size;
        this.bitmap = bitmap;
        this.mode = mode;
        this.frozen = frozen;
        this.ranges = ranges;
    }

    /**
     * Starts a backup of file {@code ino}.
     *
     * @param bitmapName null for a full backup without a bitmap
     */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public static BackupSession start(VolumeCore core, Bitmaps bitmaps, Namespace namespace, Remap remap,
            ReadPath reads, Committer committer, long ino, String path, String bitmapName, BackupSync sync,
            BitmapSync mode) throws IOException {
        if (sync == BackupSync.BITMAP && bitmapName == null) {
            throw new InvalidArgumentException("sync", "bitmap", "a bitmap to back up from (--bitmap NAME)");
        }
        DirtyBitmap bitmap = bitmapName == null ? null : bitmaps.forBackup(ino, bitmapName);
        boolean clone = !core.readOnly();
        long view = clone ? namespace.createOrphan() : ino;
        boolean ok = false;
        try {
            long size;
            DirtyBits frozen;
            try (FileLocks.Held held = core.fileLocks.lock(ino)) {
                if (clone) {
                    remap.cloneRange(view, "(backup of " + path + ")", ino, path, 0, 0, 0);
                }
                size = core.size(ino, path);
                frozen = bitmap == null ? null : bitmaps.freeze(bitmap);
            }
            if (clone) {
                // The state backed up is durable before anything is copied: a crash can roll
                // the volume back only to it or later, never behind a backup it took.
                committer.sync();
            }
            List<DirtyRange> ranges = sync == BackupSync.BITMAP ? bitmaps.ranges(bitmap, frozen, size)
                    : dataRanges(core, view, size);
            BackupSession s = new BackupSession(core, bitmaps, namespace, reads, path, view, clone, size, bitmap, mode,
                    frozen, ranges);
            ok = true;
            return s;
        } finally {
            if (!ok && clone) {
                namespace.deleteOrphan(view);
            }
        }
    }

    /** The written extents of the view, in bytes, merged, clipped to its size: what a full backup copies. */
    private static List<DirtyRange> dataRanges(VolumeCore core, long view, long size) throws IOException {
        return core.treeLock.reading(() -> {
            List<DirtyRange> out = new ArrayList<>();
            long bs = core.blockSize;
            for (Extents.Mapping m : core.extents.within(view, 0, core.blocksCovering(size))) {
                if (m.extent().unwritten()) {
                    continue;
                }
                long start = m.fileBlock() * bs;
                long end = Math.min(size, m.fileEnd() * bs);
                if (!out.isEmpty() && out.get(out.size() - 1).end() == start) {
                    DirtyRange last = out.remove(out.size() - 1);
                    start = last.offset();
                }
                out.add(new DirtyRange(start, end - start));
            }
            return out;
        });
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public List<DirtyRange> ranges() {
        return List.copyOf(ranges);
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        return core.operation(Access.READ, () -> reads.read(view, "(backup of " + path + ")", dst, offset));
    }

    @Override
    public synchronized void copied(long offset, long length) {
        if (bitmap != null && length > 0) {
            int shift = bitmap.item.granularityShift();
            // Only granules copied whole count: a granule copied in part is still to copy.
            long from = (offset + (1L << shift) - 1) >>> shift;
            long to = offset + length == size ? (offset + length + (1L << shift) - 1) >>> shift
                    : (offset + length) >>> shift;
            if (from < to) {
                copied.set(from, to);
            }
        }
    }

    @Override
    public synchronized void finish(boolean succeeded) throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        try {
            if (bitmap != null) {
                bitmaps.thaw(bitmap, mode, succeeded, frozen, copied);
            }
        } finally {
            if (viewIsClone) {
                namespace.deleteOrphan(view);
            }
        }
    }

    @Override
    public void close() throws IOException {
        finish(false);
    }
}
