package org.cowstack.storage.bench;

import java.io.IOException;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;

/** Files with a chosen number of extents, built quickly (by cloning) for metadata benchmarks. */
final class Fragmented {
    private Fragmented() {
    }

    /**
     * An open file of {@code bytes} with exactly {@code extents} extents. One extent is
     * preallocated, then written. More are pieces of {@code bytes / extents} (rounded to blocks) cloned
     * alternately from the first and the last third of a small written file, so
     * neighbours are never physically contiguous. Synced, so the extents are on disk.
     */
    static FileHandle file(CowVolume volume, String path, long bytes, int extents) throws IOException {
        FileHandle f = volume.open(path, Workspace.CREATE_READ_WRITE);
        if (extents == 1) {
            // Preallocated in one piece, then written in place: contiguous however the
            // allocation policy interleaves data and metadata during writeback.
            f.fallocate(FallocateMode.ALLOCATE, 0, bytes);
            Workspace.writeAll(f::write, Workspace.pattern(Workspace.MIB, true, 4), 0, bytes);
        } else {
            long blocks = bytes / Workspace.BLOCK;
            long piece = (blocks + extents - 1) / extents;
            try (FileHandle base = volume.open(path + ".base", Workspace.CREATE_READ_WRITE)) {
                Workspace.writeAll(base::write, Workspace.pattern(Workspace.BLOCK, true, 5), 0,
                        3 * piece * Workspace.BLOCK);
                base.fsync(); // placed: a clone of dirty pages would copy them, not share extents
                for (int i = 0; i < extents; i++) {
                    long first = i * blocks / extents;
                    long end = (i + 1) * blocks / extents;
                    long from = (i % 2) * 2 * piece;
                    f.cloneRange(base, from * Workspace.BLOCK, first * Workspace.BLOCK,
                            (end - first) * Workspace.BLOCK);
                }
            }
        }
        f.fsync();
        int counted = f.extents(0, bytes).size();
        if (counted != extents) {
            throw new IOException(path + " has " + counted + " extents, not " + extents);
        }
        return f;
    }
}
