package org.cowstack.storage.shell.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.shell.cli.Progress;
import org.cowstack.storage.shell.cli.ProgressReporter;

/**
 * A restore: a full backup and then incrementals, in the order given, into a file of a
 * mounted volume. Every manifest is read and the chain checked before anything is
 * written; the result is built in a temporary file beside the target and renamed over it
 * only when complete and durable, so a failure or a cancel leaves the target as it was.
 */
public final class Restores {
    private Restores() {
    }

    /** What a restore did. */
    public record Result(String target, int images, long bytes, long size) {
    }

    /**
     * @throws IOException one line: an unreadable or mismatched manifest, a chain that does
     *         not start with a full backup, images out of order, or the I/O error
     */
    public static Result restore(Volume v, String path, List<ImageRef> images, ProgressReporter progress)
            throws IOException {
        List<Manifest> chain = chain(images);
        for (ImageRef i : images) {
            if (i.is(v, path)) {
                throw new IllegalArgumentException(i + " is the file to restore into");
            }
        }
        long total = 0;
        for (Manifest m : chain) {
            total += m.bytes();
        }
        checkTarget(v, path);
        String tmp = temporary(path);
        boolean renamed = false;
        try (FileHandle out = v.open(tmp, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING));
                Progress p = progress.start("restore " + path, total)) {
            p.checkpoint();
            ByteBuffer buf = ByteBuffer.allocate(Backups.PIECE);
            for (int k = 0; k < chain.size(); k++) {
                Manifest m = chain.get(k);
                out.truncate(m.size());
                try (Image image = images.get(k).open()) {
                    for (DirtyRange r : m.ranges()) {
                        apply(image, images.get(k), r, out, buf, p);
                    }
                }
            }
            out.fsync();
            out.close();
            v.rename(tmp, path);
            renamed = true;
            v.sync();
            Manifest last = chain.get(chain.size() - 1);
            return new Result(v.name() + ":" + path, chain.size(), total, last.size());
        } finally {
            if (!renamed) {
                try {
                    v.delete(tmp);
                } catch (IOException | RuntimeException gone) {
                    // nothing to remove, or the volume went read-only: the name starts with '.'
                }
            }
        }
    }

    /** Every manifest, read and checked as a chain, before anything is written. */
    static List<Manifest> chain(List<ImageRef> images) throws IOException {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a restore needs at least a full backup");
        }
        List<Manifest> chain = new ArrayList<>();
        for (ImageRef i : images) {
            chain.add(Manifest.parse(i + ImageRef.MANIFEST_SUFFIX, i.readManifest()));
        }
        Manifest first = chain.get(0);
        if (first.sync() != BackupSync.FULL || !first.complete()) {
            throw new IllegalArgumentException(images.get(0) + " is " + describe(first)
                    + ": a restore starts with a full backup");
        }
        for (int k = 1; k < chain.size(); k++) {
            Manifest m = chain.get(k);
            Manifest prev = chain.get(k - 1);
            if (!m.volume().equals(first.volume()) || m.inode() != first.inode()) {
                throw new IllegalArgumentException(images.get(k) + " is a backup of " + m.volumeName() + ":" + m.path()
                        + " (inode " + m.inode() + "), " + images.get(0) + " of " + first.volumeName() + ":"
                        + first.path() + " (inode " + first.inode() + ")");
            }
            if (m.taken().isBefore(prev.taken())) {
                throw new IllegalArgumentException(images.get(k) + " was taken at " + m.taken() + ", before "
                        + images.get(k - 1) + " (" + prev.taken() + "): give the images oldest first");
            }
            if (m.sync() == BackupSync.FULL && m.complete()) {
                throw new IllegalArgumentException(images.get(k) + " is a full backup: it starts a chain of its own");
            }
        }
        return chain;
    }

    private static String describe(Manifest m) {
        return (m.complete() ? "" : "an incomplete ") + (m.sync() == BackupSync.FULL ? "full backup"
                : (m.complete() ? "an " : "") + "incremental backup");
    }

    private static void apply(Image image, ImageRef where, DirtyRange r, FileHandle out, ByteBuffer buf, Progress p)
            throws IOException {
        long at = r.offset();
        while (at < r.end()) {
            int want = (int) Math.min(buf.capacity(), r.end() - at);
            buf.clear().limit(want);
            while (buf.hasRemaining()) {
                int n = image.read(buf, at + buf.position());
                if (n < 0) {
                    throw new IOException(where + ": the image ends at " + (at + buf.position())
                            + ", its manifest says it holds " + r.offset() + "+" + r.length());
                }
            }
            buf.flip();
            if (Holes.zero(buf)) {
                out.fallocate(FallocateMode.PUNCH_HOLE, at, want);
            } else {
                long w = at;
                while (buf.hasRemaining()) {
                    w += out.write(buf, w);
                }
            }
            at += want;
            p.advance(want);
        }
    }

    /**
     * The target as the engine reads it, before a temporary name is made from it (whose
     * errors would name the temporary file): a file, or a new name in a directory that exists.
     */
    private static void checkTarget(Volume v, String path) throws IOException {
        try {
            if (v.stat(path).directory()) {
                throw new FileSystemException(path, null, "is a directory");
            }
            return;
        } catch (NoSuchFileException absent) {
            // a new file: its directory must exist
        }
        int slash = path.lastIndexOf('/');
        String parent = slash <= 0 ? "/" : path.substring(0, slash);
        try {
            if (!v.stat(parent).directory()) {
                throw new FileSystemException(path, null, parent + " is not a directory");
            }
        } catch (NoSuchFileException absent) {
            throw new NoSuchFileException(path, null, "no such directory " + parent);
        }
    }

    /** A name beside {@code path} for the file being built. */
    static String temporary(String path) {
        int slash = path.lastIndexOf('/');
        return path.substring(0, slash + 1) + "." + path.substring(slash + 1) + ".restoring";
    }
}
