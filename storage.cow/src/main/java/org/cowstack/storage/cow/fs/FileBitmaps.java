package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.util.List;

import org.cowstack.storage.api.bitmap.Backup;
import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapInfo;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyBitmaps;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.bitmap.BackupSession;

/** The dirty bitmaps of an open file: {@link DirtyBitmaps} over the volume's bitmaps, each call inside the gate. */
final class FileBitmaps implements DirtyBitmaps {
    private final CowVolume volume;
    private final long inode;
    private final String path;

    FileBitmaps(CowVolume volume, long inode, String path) {
        this.volume = volume;
        this.inode = inode;
        this.path = path;
    }

    /** The file still exists (a deleted file has no bitmaps left). */
    private void exists() throws IOException {
        volume.core.checkUsable();
        volume.core.size(inode, path);
    }

    @Override
    public BitmapInfo add(String name, BitmapOptions options) throws IOException {
        return volume.core.operation(Access.CHANGE, () -> {
            exists();
            return volume.bitmaps.add(inode, name, options);
        });
    }

    @Override
    public void remove(String name) throws IOException {
        volume.core.operation(Access.READ, () -> volume.bitmaps.remove(inode, name));
    }

    @Override
    public void clear(String name) throws IOException {
        volume.core.operation(Access.READ, () -> volume.bitmaps.clear(inode, name));
    }

    @Override
    public void enable(String name) throws IOException {
        volume.core.operation(Access.READ, () -> volume.bitmaps.enable(inode, name));
    }

    @Override
    public void disable(String name) throws IOException {
        volume.core.operation(Access.READ, () -> volume.bitmaps.disable(inode, name));
    }

    @Override
    public void merge(String source, String target) throws IOException {
        volume.core.operation(Access.READ, () -> volume.bitmaps.merge(inode, source, target));
    }

    @Override
    public List<BitmapInfo> list() throws IOException {
        return volume.core.operation(Access.READ, () -> {
            exists();
            return volume.bitmaps.list(inode);
        });
    }

    @Override
    public java.io.Closeable hold(String name) throws IOException {
        Runnable release = volume.core.operation(Access.READ, () -> volume.bitmaps.hold(inode, name));
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);
        return () -> {
            if (held.getAndSet(false)) {
                release.run();
            }
        };
    }

    @Override
    public List<DirtyRange> dump(String name) throws IOException {
        return volume.core.operation(Access.READ, () -> volume.bitmaps.dump(inode, name));
    }

    @Override
    public Backup backup(String bitmap, BackupSync sync, BitmapSync mode) throws IOException {
        return volume.core.operation(Access.CHANGE, () -> {
            exists();
            return BackupSession.start(volume.core, volume.bitmaps, volume.namespace, volume.remap, volume.reads,
                    volume.committer, inode, path, bitmap, sync, mode);
        });
    }
}
