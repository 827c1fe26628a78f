package org.cowstack.storage.cow.ns;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.cow.core.FileLocks;
import org.cowstack.storage.cow.core.Query;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.DirEntries;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.meta.Inodes;

/**
 * The namespace: paths resolved to inodes, files opened and created, directories made
 * and listed, attributes, deletes, renames and file flags. Every change is atomic: one
 * transaction holds the old names or the new ones, never both or neither.
 */
public final class Namespace {
    /** An open file: its inode and the normalized path it was opened with. */
    public record Opened(long inode, String path) {
    }

    private final VolumeCore core;

    public Namespace(VolumeCore core) {
        this.core = core;
    }

    /**
     * Whether {@code options} open a file for writing ({@code CREATE}, {@code CREATE_NEW},
     * {@code WRITE}, {@code APPEND}, {@code TRUNCATE_EXISTING}).
     *
     * @throws NotSupportedException for an option that is not a {@link StandardOpenOption}
     */
    public static boolean writable(Set<? extends OpenOption> options) throws NotSupportedException {
        for (OpenOption o : options) {
            if (!(o instanceof StandardOpenOption)) {
                throw new NotSupportedException("open option " + o);
            }
        }
        return options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW)
                || options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND)
                || options.contains(StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * Finds, or creates, the regular file {@code path} names. Truncation is the caller's.
     * With a trailing slash, an existing file is refused with ENOTDIR (as xfs_io and
     * open(2) without O_CREAT refuse it) and a missing one is not created: EISDIR, as
     * open(2) answers O_CREAT on a name with a trailing slash.
     */
    public Opened open(String path, Set<? extends OpenOption> options) throws IOException {
        Paths.Parsed p = Paths.parse(path);
        String normalized = p.normalized();
        boolean create = options.contains(StandardOpenOption.CREATE)
                || options.contains(StandardOpenOption.CREATE_NEW);
        Query<Long> find = () -> {
            List<String> parts = p.parts();
            if (parts.isEmpty()) {
                throw new FileSystemException(normalized, null, "is a directory");
            }
            long dir = resolveDirectory(parts, parts.size() - 1, normalized);
            String leaf = p.leaf();
            DirEntries.Entry e = core.inodes.lookup(dir, leaf);
            if (e != null) {
                requireDirectory(p, e.directory());
                if (options.contains(StandardOpenOption.CREATE_NEW)) {
                    throw new FileAlreadyExistsException(normalized);
                }
                if (e.directory()) {
                    throw new FileSystemException(normalized, null, "is a directory");
                }
                return e.inode();
            }
            if (!create) {
                throw new NoSuchFileException(normalized);
            }
            if (p.directory()) {
                throw new FileSystemException(p.typed(), null, "is a directory");
            }
            return createInode(dir, leaf, InodeItem.FILE);
        };
        // Opening to read changes nothing: it needs no exclusive lock.
        long ino = create ? core.treeLock.changing(find) : core.treeLock.reading(find);
        return new Opened(ino, normalized);
    }

    private long createInode(long dir, String leaf, int type) throws IOException {
        long ino = core.newInode();
        long now = VolumeCore.now();
        core.inodes.put(ino, new InodeItem(type, 0, dir, 0, now, now, now, core.meta.generation(), 0));
        core.inodes.addEntry(dir, leaf, ino, type == InodeItem.DIRECTORY);
        core.inodes.put(dir, core.inodes.getOrThrow(dir, "parent").touched(now));
        return ino;
    }

    /** Makes a directory; a trailing slash is allowed, and a name taken by anything is EEXIST, as mkdir(2). */
    public void mkdir(String path) throws IOException {
        core.checkWritable();
        Paths.Parsed p = Paths.parse(path);
        String normalized = p.normalized();
        core.treeLock.changing(() -> {
            List<String> parts = p.parts();
            if (parts.isEmpty()) {
                throw new FileAlreadyExistsException("/");
            }
            long dir = resolveDirectory(parts, parts.size() - 1, normalized);
            if (core.inodes.lookup(dir, p.leaf()) != null) {
                throw new FileAlreadyExistsException(normalized);
            }
            createInode(dir, p.leaf(), InodeItem.DIRECTORY);
        });
    }

    public List<DirEntry> list(String path) throws IOException {
        core.checkUsable();
        Paths.Parsed p = Paths.parse(path);
        String normalized = p.normalized();
        return core.treeLock.reading(() -> {
            long dir = resolveExisting(p);
            if (!core.inodes.getOrThrow(dir, normalized).isDirectory()) {
                throw new NotDirectoryException(p.directory() ? p.typed() : normalized);
            }
            List<DirEntry> out = new ArrayList<>();
            for (DirEntries.Entry e : core.inodes.list(dir)) {
                out.add(new DirEntry(e.name(), e.inode(), e.directory()));
            }
            out.sort(Comparator.comparing(DirEntry::name));
            return out;
        });
    }

    public FileStat stat(String path) throws IOException {
        core.checkUsable();
        Paths.Parsed p = Paths.parse(path);
        return core.treeLock.reading(() -> {
            long ino = resolveExisting(p);
            InodeItem inode = core.inodes.getOrThrow(ino, p.normalized());
            requireDirectory(p, inode.isDirectory());
            return stat(ino, inode);
        });
    }

    /** The attributes of an open file. */
    public FileStat stat(long ino, String path) throws IOException {
        core.checkUsable();
        return core.treeLock.reading(() -> stat(ino, core.inodes.getOrThrow(ino, path)));
    }

    /** Tree lock held (shared). */
    private FileStat stat(long ino, InodeItem i) throws IOException {
        Set<FileFlag> flags = EnumSet.noneOf(FileFlag.class);
        if (i.has(InodeItem.NOCOW)) {
            flags.add(FileFlag.NOCOW);
        }
        if (i.has(InodeItem.NODATASUM)) {
            flags.add(FileFlag.NODATASUM);
        }
        // Delayed allocation: pages with a reserved block count as allocated, as Linux counts
        // delalloc blocks (pages going in place have theirs already).
        long allocated = (i.allocated() + core.cache.reservedPagesOf(ino)) * core.blockSize;
        long unchecksummed = 0;
        if (!i.isDirectory()) {
            for (Extents.Mapping m : core.extents.overlapping(ino, 0, Long.MAX_VALUE)) {
                int f = m.extent().flags();
                if ((f & ExtentItem.NODATASUM) != 0 && (f & ExtentItem.UNWRITTEN) == 0) {
                    unchecksummed += m.extent().blocks();
                }
            }
        }
        return new FileStat(ino, i.isDirectory(), i.size(), allocated, flags, instant(i.mtime()), instant(i.ctime()),
                instant(i.crtime()), Math.min(i.size(), unchecksummed * core.blockSize));
    }

    private static Instant instant(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }

    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public void delete(String path) throws IOException {
        core.checkWritable();
        Paths.Parsed p = Paths.parse(path);
        String normalized = p.normalized();
        List<String> parts = p.parts();
        if (parts.isEmpty()) {
            throw new InvalidArgumentException("path", "/", "a path below the root; the root cannot be removed");
        }
        long ino = core.treeLock.reading(() -> resolveExisting(p));
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            core.treeLock.changing(() -> {
                long dir = resolveDirectory(parts, parts.size() - 1, normalized);
                DirEntries.Entry e = core.inodes.lookup(dir, p.leaf());
                if (e == null || e.inode() != ino) {
                    throw new NoSuchFileException(normalized);
                }
                requireDirectory(p, e.directory());
                if (e.directory() && !core.inodes.isEmptyDirectory(ino)) {
                    throw new DirectoryNotEmptyException(normalized);
                }
                unlink(dir, e);
                core.inodes.put(dir, core.inodes.getOrThrow(dir, "parent").touched(VolumeCore.now()));
            });
        }
    }

    /**
     * Renames, replacing a file or an empty directory of the target name, as rename(2). A
     * trailing slash on either path makes it ENOTDIR unless the source is a directory.
     */
    public void rename(String from, String to) throws IOException {
        core.checkWritable();
        Paths.Parsed src = Paths.parse(from);
        Paths.Parsed dst = Paths.parse(to);
        String source = src.normalized();
        String target = dst.normalized();
        List<String> sp = src.parts();
        List<String> tp = dst.parts();
        if (sp.isEmpty() || tp.isEmpty()) {
            throw new InvalidArgumentException("path", sp.isEmpty() ? source : target,
                    "a path below the root; the root cannot be renamed or replaced");
        }
        if (tp.size() > sp.size() && tp.subList(0, sp.size()).equals(sp)) {
            throw new InvalidArgumentException("rename target", target, "not inside " + source);
        }
        core.treeLock.changing(() -> {
            long sdir = resolveDirectory(sp, sp.size() - 1, source);
            DirEntries.Entry s = core.inodes.lookup(sdir, sp.get(sp.size() - 1));
            if (s == null) {
                throw new NoSuchFileException(source);
            }
            requireDirectory(src, s.directory());
            long tdir = resolveDirectory(tp, tp.size() - 1, target);
            requireDirectory(dst, s.directory()); // the target is to name the source's inode
            DirEntries.Entry t = core.inodes.lookup(tdir, tp.get(tp.size() - 1));
            if (t != null && t.inode() == s.inode()) {
                return; // the same file: nothing to do, as rename(2)
            }
            if (t != null) {
                if (t.directory() && !s.directory()) {
                    throw new FileSystemException(target, null, "is a directory");
                }
                if (!t.directory() && s.directory()) {
                    throw new NotDirectoryException(dst.directory() ? dst.typed() : target);
                }
                if (t.directory() && !core.inodes.isEmptyDirectory(t.inode())) {
                    throw new DirectoryNotEmptyException(target);
                }
                unlink(tdir, t);
            }
            core.inodes.removeEntry(sdir, s.name());
            core.inodes.addEntry(tdir, tp.get(tp.size() - 1), s.inode(), s.directory());
            long now = VolumeCore.now();
            // Without the file's lock: a buffered write may grow the file meanwhile (Inodes.grow).
            core.inodes.putKeepingSize(s.inode(), core.inodes.getOrThrow(s.inode(), source).withParent(tdir, now));
            core.inodes.put(sdir, core.inodes.getOrThrow(sdir, "parent").touched(now));
            if (tdir != sdir) {
                core.inodes.put(tdir, core.inodes.getOrThrow(tdir, "parent").touched(now));
            }
        });
    }

    /** Sets and clears NOCOW (only on an empty file, as {@code chattr +C} on btrfs) and nodatasum. */
    @SuppressWarnings("try") // the file lock is held by the try and released by it, never referenced
    public void setFlags(long ino, String path, Set<FileFlag> add, Set<FileFlag> remove) throws IOException {
        core.checkWritable();
        for (FileFlag f : add) {
            if (remove.contains(f)) {
                throw new InvalidArgumentException("flags", "+" + f + " and -" + f, "a flag added or removed, not both");
            }
        }
        try (FileLocks.Held held = core.fileLocks.lock(ino)) {
            core.treeLock.changing(() -> {
                InodeItem inode = core.inodes.getOrThrow(ino, path);
                int flags = inode.flags();
                for (FileFlag f : add) {
                    flags |= flagBit(f);
                }
                for (FileFlag f : remove) {
                    flags &= ~flagBit(f);
                }
                boolean holdsData = inode.size() > 0 || inode.allocated() > 0 || core.cache.dirtyPagesOf(ino) > 0;
                if (((flags ^ inode.flags()) & InodeItem.NOCOW) != 0 && holdsData) {
                    throw new InvalidArgumentException("NOCOW on " + path, "a file of " + inode.size() + " bytes",
                            "an empty file: NOCOW changes only before a file holds data, as chattr +C on btrfs");
                }
                if (flags != inode.flags()) {
                    core.inodes.put(ino, inode.withFlags(flags, VolumeCore.now()));
                }
            });
        }
    }

    private static int flagBit(FileFlag f) {
        switch (f) {
            case NOCOW: return InodeItem.NOCOW;
            case NODATASUM: return InodeItem.NODATASUM;
            default: throw new IllegalArgumentException("flag " + f);
        }
    }

    // ------------------------------------------------------------------ orphans

    private static Key orphanKey(long ino) {
        return new Key(ItemType.ORPHANS, ItemType.ORPHAN, ino);
    }

    /**
     * A new, empty file with no name, recorded as an orphan so that the next mount
     * removes it if a crash leaves it behind: a backup's point-in-time view of a file.
     */
    public long createOrphan() throws IOException {
        core.checkWritable();
        return core.treeLock.changing(() -> {
            long ino = core.newInode();
            long now = VolumeCore.now();
            core.inodes.put(ino, new InodeItem(InodeItem.FILE, 0, 0, 0, now, now, now, core.meta.generation(), 0));
            core.trees.get(TreeId.FS).put(orphanKey(ino), new byte[0]);
            return ino;
        });
    }

    /** Removes an orphan with its blocks (released by the commit). */
    public void deleteOrphan(long ino) throws IOException {
        core.treeLock.changing(() -> {
            core.space.unreserve(core.cache.drop(ino, 0, Long.MAX_VALUE));
            core.extents.remove(ino, 0, Long.MAX_VALUE);
            core.inodes.delete(ino);
            core.trees.get(TreeId.FS).delete(orphanKey(ino));
            core.changes.removed(ino);
        });
    }

    /** At a writable mount: removes the orphans a crash left; answers how many. */
    public int removeOrphans() throws IOException {
        List<Long> orphans = core.treeLock.reading(() -> {
            List<Long> out = new ArrayList<>();
            core.trees.get(TreeId.FS).scan(Key.first(ItemType.ORPHANS, ItemType.ORPHAN),
                    Key.last(ItemType.ORPHANS, ItemType.ORPHAN), (k, v) -> {
                        out.add(k.offset());
                        return true;
                    });
            return out;
        });
        for (long ino : orphans) {
            deleteOrphan(ino);
        }
        return orphans.size();
    }

    /**
     * Removes a name and, as there are no hard links, its inode with its cached pages
     * and extents (their blocks are released by the commit). Tree lock held.
     */
    private void unlink(long dir, DirEntries.Entry e) throws IOException {
        core.space.unreserve(core.cache.drop(e.inode(), 0, Long.MAX_VALUE));
        core.extents.remove(e.inode(), 0, Long.MAX_VALUE);
        core.inodes.delete(e.inode());
        core.inodes.removeEntry(dir, e.name());
        core.changes.removed(e.inode());
    }

    /** The inode of the path's last component's parent directory, checking every step. */
    private long resolveDirectory(List<String> parts, int count, String path) throws IOException {
        long ino = Inodes.ROOT;
        for (int i = 0; i < count; i++) {
            DirEntries.Entry e = core.inodes.lookup(ino, parts.get(i));
            if (e == null) {
                throw new NoSuchFileException(path);
            }
            if (!e.directory()) {
                throw new NotDirectoryException(path);
            }
            ino = e.inode();
        }
        return ino;
    }

    /** The inode a path names. Tree lock held. */
    private long resolveExisting(Paths.Parsed p) throws IOException {
        List<String> parts = p.parts();
        if (parts.isEmpty()) {
            return Inodes.ROOT;
        }
        String path = p.normalized();
        long dir = resolveDirectory(parts, parts.size() - 1, path);
        DirEntries.Entry e = core.inodes.lookup(dir, p.leaf());
        if (e == null) {
            throw new NoSuchFileException(path);
        }
        return e.inode();
    }

    /** A path with a trailing slash names a directory, or fails with ENOTDIR naming the path as typed. */
    private static void requireDirectory(Paths.Parsed p, boolean directory) throws NotDirectoryException {
        if (p.directory() && !directory) {
            throw new NotDirectoryException(p.typed());
        }
    }
}
