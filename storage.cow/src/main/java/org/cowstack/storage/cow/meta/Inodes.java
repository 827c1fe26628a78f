package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.DirEntries;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;

/**
 * Inodes and directory entries in the fs tree: {@code (inode, INODE, 0)} holds an
 * {@link InodeItem}, {@code (directory, DIR_ENTRY, name hash)} the names with that hash.
 * Records only: path rules and resolution are the namespace's.
 *
 * <p>A file's size and times as buffered writes leave them are kept in memory
 * ({@link #grow}), without the tree or its lock, so that a write into the cache waits
 * for no commit and needs no allocation; {@link #get} answers them over the stored
 * inode, so stat, read, truncate and fiemap see them at once, and the commit stores them
 * ({@link #storePending}) with the data they cover. Once a file has an entry it is the
 * file's size and times: {@link #put} keeps it up to date, under the file's lock,
 * which every change of size or times holds.
 *
 * <p>Each file's size as the last durable commit has it ({@link #durableSize}) decides
 * which blocks a NOCOW write may overwrite in place: only those that commit shows whole.
 */
public final class Inodes {
    /** The root directory's inode number, as in btrfs. */
    public static final long ROOT = 256;

    private final BTree fs;
    /** Size and times per file written through the cache; see the class comment. */
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** Stored sizes before the running transaction first changed them, per file it changed. */
    private final Map<Long, Long> sizeBeforeRunning = new ConcurrentHashMap<>();
    /** The same for the transaction a commit is writing, until its superblock is durable. */
    private volatile Map<Long, Long> sizeBeforeWriting = Map.of();

    /**
     * A file's size and times, and whether the fs tree holds them: replaced whole, so a
     * commit that stored one marks it stored only if no write replaced it meanwhile.
     */
    private record Pending(long size, long mtime, long ctime, boolean stored) {
        InodeItem over(InodeItem i) {
            return new InodeItem(i.type(), size, i.parent(), i.flags(), mtime, ctime, i.crtime(), i.generation(),
                    i.allocated());
        }
    }

    public Inodes(BTree fs) {
        this.fs = fs;
    }

    /**
     * Checks that {@code next}, the number the next new inode gets (the superblock's),
     * is above every object the fs tree holds: one below would give a new file the
     * number, and so the items, of one that exists.
     *
     * @throws Corruption when it is not
     */
    public void checkNext(long next) throws IOException {
        BTree.Entry last = fs.floor(new Key(Long.MAX_VALUE, 255, Long.MAX_VALUE));
        Corruption.check(last == null || last.key().objectId() < next, () -> "the next inode number " + next
                + " is not above the fs tree's last item " + last.key());
    }

    private static Key key(long ino) {
        return new Key(ino, ItemType.INODE, 0);
    }

    private static Key entryKey(long dir, String name) {
        return new Key(dir, ItemType.DIR_ENTRY, DirEntries.hash(name));
    }

    /** The inode, or null when there is none of that number. */
    public InodeItem get(long ino) throws IOException {
        byte[] v = fs.get(key(ino));
        if (v == null) {
            return null;
        }
        InodeItem stored = InodeItem.decode(v);
        Pending p = pending.get(ino);
        return p == null ? stored : p.over(stored);
    }

    /** The inode of a file opened as {@code path}, which may have been deleted since. */
    public InodeItem getOrThrow(long ino, String path) throws IOException {
        InodeItem i = get(ino);
        if (i == null) {
            throw new NoSuchFileException(path, null, "no longer exists");
        }
        return i;
    }

    /**
     * Stores the inode, its size and times included: the caller holds the file's lock
     * when it may change them (see {@link #putKeepingSize} otherwise).
     */
    public void put(long ino, InodeItem item) throws IOException {
        noteSize(ino);
        fs.put(key(ino), item.encode());
        pending.computeIfPresent(ino, (k, p) -> new Pending(item.size(), item.mtime(), item.ctime(), true));
    }

    /**
     * Stores a change that leaves size and modification time as they are (writeback's
     * count of allocated blocks, a rename's parent), without the file's lock: a buffered
     * write may move them meanwhile, and they stay as it left them; a later change time
     * is kept. The commit stores them again.
     */
    public void putKeepingSize(long ino, InodeItem item) throws IOException {
        noteSize(ino);
        fs.put(key(ino), item.encode());
        pending.computeIfPresent(ino,
                (k, p) -> new Pending(p.size(), p.mtime(), Math.max(p.ctime(), item.ctime()), false));
    }

    public void delete(long ino) throws IOException {
        noteSize(ino);
        fs.delete(key(ino));
        pending.remove(ino);
    }

    // ------------------------------------------------------------------ sizes in memory

    /** The size of a file written through the cache, without the tree; -1 when it has no entry yet. */
    public long pendingSize(long ino) {
        Pending p = pending.get(ino);
        return p == null ? -1 : p.size();
    }

    /**
     * A buffered write of a file that has an entry ({@link #enter}) set its size and times:
     * kept in memory until the commit. The caller holds the file's lock.
     */
    public void grow(long ino, long size, long now) {
        pending.put(ino, new Pending(size, now, now, false));
    }

    /** Gives a file an entry with its inode's size and times (the file's lock and the shared tree lock held). */
    public long enter(long ino, InodeItem current) {
        pending.putIfAbsent(ino, new Pending(current.size(), current.mtime(), current.ctime(), true));
        return pendingSize(ino);
    }

    /** Whether a size or time is in memory only: the next commit has something to store. */
    public boolean hasPending() {
        for (Pending p : pending.values()) {
            if (!p.stored()) {
                return true;
            }
        }
        return false;
    }

    /** Stores every size and time kept in memory into the fs tree: the commit's part (tree lock held exclusively). */
    public void storePending() throws IOException {
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (p.stored()) {
                continue;
            }
            long ino = e.getKey();
            byte[] v = fs.get(key(ino));
            if (v == null) {
                pending.remove(ino, p); // deleted meanwhile
                continue;
            }
            InodeItem stored = InodeItem.decode(v);
            sizeBeforeRunning.putIfAbsent(ino, stored.size());
            fs.put(key(ino), p.over(stored).encode());
            pending.replace(ino, p, new Pending(p.size(), p.mtime(), p.ctime(), true));
        }
    }

    // ------------------------------------------------------------------ sizes on disk

    /** Remembers the stored size before the running transaction's first change of the inode. */
    private void noteSize(long ino) throws IOException {
        if (!sizeBeforeRunning.containsKey(ino)) {
            sizeBeforeRunning.put(ino, storedSize(ino));
        }
    }

    private long storedSize(long ino) throws IOException {
        byte[] v = fs.get(key(ino));
        return v == null ? 0 : InodeItem.decode(v).size();
    }

    /**
     * The file's size in the last durable commit (0 when it has none): a block reaching past
     * it must not be overwritten in place, even in a NOCOW file, or a crash before the next
     * commit leaves that commit's last block changed past its end (its checksum failing, or
     * stale bytes showing once the file grows). Tree lock held.
     */
    public long durableSize(long ino) throws IOException {
        Long writing = sizeBeforeWriting.get(ino);
        if (writing != null) {
            return writing;
        }
        Long running = sizeBeforeRunning.get(ino);
        return running != null ? running : storedSize(ino);
    }

    /** A commit froze the running transaction (tree lock held exclusively): its sizes are being written. */
    public void transactionFrozen() {
        Map<Long, Long> writing = new java.util.HashMap<>(sizeBeforeRunning);
        writing.putAll(sizeBeforeWriting); // an older commit still unwritten keeps its older sizes
        sizeBeforeWriting = Map.copyOf(writing);
        sizeBeforeRunning.clear();
    }

    /** The frozen transaction's superblock is durable: its sizes are the durable ones. */
    public void transactionDurable() {
        sizeBeforeWriting = Map.of();
    }

    private List<DirEntries.Entry> entries(long dir, String name) throws IOException {
        byte[] v = fs.get(entryKey(dir, name));
        return v == null ? new ArrayList<>() : new ArrayList<>(DirEntries.decode(v));
    }

    /** The entry of {@code name} in directory {@code dir}, or null. */
    public DirEntries.Entry lookup(long dir, String name) throws IOException {
        for (DirEntries.Entry e : entries(dir, name)) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    public void addEntry(long dir, String name, long ino, boolean isDir) throws IOException {
        List<DirEntries.Entry> list = entries(dir, name);
        list.add(new DirEntries.Entry(name, ino, isDir));
        byte[] value = DirEntries.encode(list);
        if (value.length > BTree.maxValueBytes(fs.nodeSize())) {
            throw new NotSupportedException("too many names in this directory share a hash with " + name);
        }
        fs.put(entryKey(dir, name), value);
    }

    public void removeEntry(long dir, String name) throws IOException {
        List<DirEntries.Entry> list = entries(dir, name);
        list.removeIf(e -> e.name().equals(name));
        Key k = entryKey(dir, name);
        if (list.isEmpty()) {
            fs.delete(k);
        } else {
            fs.put(k, DirEntries.encode(list));
        }
    }

    /** Every entry of a directory, in hash order. */
    public List<DirEntries.Entry> list(long dir) throws IOException {
        List<DirEntries.Entry> out = new ArrayList<>();
        fs.scan(Key.first(dir, ItemType.DIR_ENTRY), Key.last(dir, ItemType.DIR_ENTRY), (k, v) -> {
            out.addAll(DirEntries.decode(v));
            return true;
        });
        return out;
    }

    public boolean isEmptyDirectory(long dir) throws IOException {
        boolean[] empty = {true};
        fs.scan(Key.first(dir, ItemType.DIR_ENTRY), Key.last(dir, ItemType.DIR_ENTRY), (k, v) -> {
            empty[0] = false;
            return false;
        });
        return empty[0];
    }

    /** The path of an inode, from its parent pointers. */
    public String pathOf(long ino) throws IOException {
        List<String> names = new ArrayList<>();
        long at = ino;
        while (at != ROOT) {
            InodeItem i = get(at);
            if (i != null && i.parent() == 0 && !i.isDirectory()) {
                return "(a file with no name, inode " + at + ": a backup's view, removed when it ends)";
            }
            long child = at;
            Corruption.check(i != null && names.size() < 4096, () -> "inode " + child + " on the path of inode " + ino);
            String[] found = {null};
            fs.scan(Key.first(i.parent(), ItemType.DIR_ENTRY), Key.last(i.parent(), ItemType.DIR_ENTRY), (k, v) -> {
                for (DirEntries.Entry e : DirEntries.decode(v)) {
                    if (e.inode() == child) {
                        found[0] = e.name();
                        return false;
                    }
                }
                return true;
            });
            Corruption.check(found[0] != null, () -> "inode " + child + " has no name in its parent " + i.parent());
            names.add(0, found[0]);
            at = i.parent();
        }
        return "/" + String.join("/", names);
    }
}
