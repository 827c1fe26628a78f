package org.cowstack.storage.shell.backup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.cowstack.storage.api.bitmap.Backup;
import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.shell.cli.Progress;
import org.cowstack.storage.shell.cli.ProgressReporter;

/**
 * A backup of one file into a new image: the engine's point-in-time view of the file
 * ({@link Backup}) copied range by range, all-zero pieces left as holes, the image made
 * durable, then its manifest, and only then the bitmap synchronised. A failure or a
 * cancel at any point leaves the bitmap as qemu's {@link BitmapSync} rule says for a
 * failed backup, and no image that a restore would take for a finished one.
 */
public final class Backups {
    /** Bytes read and written at a time. */
    static final int PIECE = 1 << 20;

    private Backups() {
    }

    /** What a backup did. */
    public record Result(String source, String target, BackupSync sync, String bitmap, long bytes, long size,
            int ranges, long millis) {
    }

    /**
     * Backs up {@code path} of {@code v} into a new image at {@code target}.
     *
     * @param bitmap the bitmap to copy by and synchronise, or null for a full backup without one
     * @throws IOException one line; {@link InterruptedIOException} {@code interrupted} when cancelled
     */
    public static Result backup(Volume v, String path, ImageRef target, String bitmap, BackupSync sync,
            BitmapSync mode, ProgressReporter progress) throws IOException {
        if (target.is(v, path)) {
            throw new IllegalArgumentException(target + " is the file being backed up");
        }
        target.refuseExisting();
        long started = System.nanoTime();
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ));
                Backup b = f.bitmaps().backup(bitmap, sync, mode)) {
            List<DirtyRange> ranges = b.ranges();
            long total = 0;
            for (DirtyRange r : ranges) {
                total += r.length();
            }
            Manifest header = new Manifest(v.uuid(), v.name(), f.path(), f.stat().inode(), Instant.now(), sync,
                    bitmap, b.size(), true, List.of());
            List<DirtyRange> copied = new ArrayList<>();
            Image image = target.create();
            try (Progress p = progress.start("backup " + f.path(), total)) {
                try {
                    copy(b, image, ranges, copied, p);
                    image.setSize(b.size());
                    image.force();
                    image.close();
                    target.writeManifest(new Manifest(header.volume(), header.volumeName(), header.path(),
                            header.inode(), header.taken(), sync, bitmap, b.size(), true, ranges).format());
                } catch (IOException | RuntimeException e) {
                    fail(b, image, target, header, mode, copied, e);
                    throw failed(e, f.path(), target, copied, total);
                }
            }
            if (sync == BackupSync.FULL) {
                b.copied(0, b.size());
            } else {
                for (DirtyRange r : ranges) {
                    b.copied(r.offset(), r.length());
                }
            }
            b.finish(true);
            return new Result(v.name() + ":" + f.path(), target.toString(), sync, bitmap, total, b.size(),
                    ranges.size(), (System.nanoTime() - started) / 1_000_000);
        }
    }

    private static void copy(Backup b, Image image, List<DirtyRange> ranges, List<DirtyRange> copied, Progress p)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(PIECE);
        p.checkpoint();
        for (DirtyRange r : ranges) {
            long at = r.offset();
            while (at < r.end()) {
                int want = (int) Math.min(PIECE, r.end() - at);
                buf.clear().limit(want);
                while (buf.hasRemaining()) {
                    int n = b.read(buf, at + buf.position());
                    if (n < 0) {
                        // the view is as long as size(): a short read fills with zeros
                        while (buf.hasRemaining()) {
                            buf.put((byte) 0);
                        }
                    }
                }
                buf.flip();
                if (!Holes.zero(buf)) {
                    image.write(buf, at);
                }
                add(copied, at, want);
                at += want;
                p.advance(want);
            }
        }
    }

    /**
     * The failed end: with {@code always}, what was copied is kept as an incomplete
     * incremental and cleared from the bitmap, if the image and its manifest can be made
     * durable (otherwise nothing is cleared); in every other case the image is removed and
     * the bitmap left as qemu leaves it.
     */
    private static void fail(Backup b, Image image, ImageRef target, Manifest header, BitmapSync mode,
            List<DirtyRange> copied, Throwable cause) {
        boolean kept = false;
        if (mode == BitmapSync.ALWAYS && header.sync() == BackupSync.BITMAP && !copied.isEmpty()) {
            try {
                image.setSize(header.size());
                image.force();
                image.close();
                target.writeManifest(new Manifest(header.volume(), header.volumeName(), header.path(), header.inode(),
                        header.taken(), header.sync(), header.bitmap(), header.size(), false, copied).format());
                for (DirtyRange r : copied) {
                    b.copied(r.offset(), r.length());
                }
                kept = true;
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        try {
            image.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        if (!kept) {
            try {
                target.delete();
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
        try {
            b.finish(false);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    private static IOException failed(Throwable e, String path, ImageRef target, List<DirtyRange> copied, long total) {
        if (e instanceof InterruptedIOException) {
            return (InterruptedIOException) e;
        }
        long done = 0;
        for (DirtyRange r : copied) {
            done += r.length();
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        IOException out = new IOException("backup of " + path + " to " + target + " failed after " + done + " of "
                + total + " bytes: " + why);
        out.initCause(e);
        return out;
    }

    /** Appends a range, merged with the last one when adjacent. */
    static void add(List<DirtyRange> ranges, long offset, long length) {
        if (!ranges.isEmpty()) {
            DirtyRange last = ranges.get(ranges.size() - 1);
            if (last.end() == offset) {
                ranges.set(ranges.size() - 1, new DirtyRange(last.offset(), last.length() + length));
                return;
            }
        }
        ranges.add(new DirtyRange(offset, length));
    }
}
