package org.cowstack.storage.cow.meta;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * File ranges marked damaged: blocks of a file whose data has no good copy (a media or
 * checksum error that no copy could repair). A read of such a range fails with a media
 * error naming the file and offset ({@link #firstDamaged}) until a write covers the whole
 * range; a truncate below it or a delete of the file removes it. Persisted in the status
 * tree ({@link StatusStore}) by the next commit after a change.
 *
 * <p>It hears the volume's changes as a {@link ChangeListener} (added to the change
 * hook at mount): it records and returns, never throws, never calls into the volume.
 * Thread-safe (one monitor; every method is short).
 */
public final class DamagedRanges implements ChangeListener {
    /** Why a range is damaged, as stored (one byte) and as {@code DamagedRange.cause} names it. */
    public static final int MEDIA = 1;
    public static final int CHECKSUM = 2;
    public static final int METADATA = 3;

    /**
     * A damaged range of a file.
     *
     * @param inode     the file
     * @param fileBlock first file block
     * @param blocks    number of blocks
     * @param physical  first physical block it mapped when found damaged
     * @param cause     {@link #MEDIA}, {@link #CHECKSUM} or {@link #METADATA}
     */
    public record Range(long inode, long fileBlock, long blocks, long physical, int cause) {
        public long end() {
            return fileBlock + blocks;
        }

        public boolean overlaps(long from, long to) {
            return fileBlock < to && from < end();
        }

        public String causeName() {
            return causeName(cause);
        }

        public static String causeName(int cause) {
            switch (cause) {
                case MEDIA: return "media";
                case CHECKSUM: return "checksum";
                case METADATA: return "metadata";
                default: return "cause " + cause;
            }
        }

        public static int cause(String name) {
            switch (name) {
                case "media": return MEDIA;
                case "checksum": return CHECKSUM;
                case "metadata": return METADATA;
                default: throw new IllegalArgumentException("damage cause " + name
                        + " (expected: media, checksum or metadata)");
            }
        }
    }

    private final int blockSize;
    /** By inode, then first file block; ranges of one file do not overlap. */
    private final Map<Long, NavigableMap<Long, Range>> byInode = new HashMap<>();
    /** Keys (inode, file block) changed since the last store: the range there now, or null when removed. */
    private final Map<List<Long>, Range> changed = new HashMap<>();

    public DamagedRanges(int blockSize) {
        this.blockSize = blockSize;
    }

    /** The ranges the status tree holds: what a mount does; nothing is pending afterwards. */
    public synchronized void load(List<Range> stored) {
        byInode.clear();
        changed.clear();
        for (Range r : stored) {
            byInode.computeIfAbsent(r.inode(), i -> new TreeMap<>()).put(r.fileBlock(), r);
        }
    }

    /**
     * Marks file blocks {@code [fileBlock, fileBlock + blocks)} of {@code inode} damaged
     * (they mapped {@code physical} on): the ranges it overlaps are merged into it.
     */
    public synchronized void mark(long inode, long fileBlock, long blocks, long physical, int cause) {
        if (blocks <= 0) {
            return;
        }
        NavigableMap<Long, Range> m = byInode.computeIfAbsent(inode, i -> new TreeMap<>());
        long from = fileBlock;
        long to = fileBlock + blocks;
        long phys = physical;
        for (Range r : overlapping(m, fileBlock, fileBlock + blocks)) {
            remove(m, r);
            if (r.fileBlock() < from) {
                phys = r.physical();
                from = r.fileBlock();
            }
            to = Math.max(to, r.end());
        }
        put(m, new Range(inode, from, to - from, phys, cause));
    }

    /**
     * The first damaged range that overlaps file blocks {@code [fileBlock, fileBlock +
     * blocks)} of {@code inode}, or null: what a read asks before it reads, to fail with a
     * media error naming the file and the offset ({@code range.fileBlock() * blockSize},
     * or the read's own offset when the range began before it).
     */
    public synchronized Range firstDamaged(long inode, long fileBlock, long blocks) {
        NavigableMap<Long, Range> m = byInode.get(inode);
        if (m == null || blocks <= 0) {
            return null;
        }
        List<Range> over = overlapping(m, fileBlock, fileBlock + blocks);
        return over.isEmpty() ? null : over.get(0);
    }

    /**
     * File blocks {@code [fileBlock, fileBlock + blocks)} of {@code inode} were written:
     * every damaged range they cover whole is no longer damaged (one they cover in part
     * stays damaged whole: its unwritten blocks are still unreadable). Answers how many
     * ranges it cleared.
     */
    public synchronized int cleared(long inode, long fileBlock, long blocks) {
        NavigableMap<Long, Range> m = byInode.get(inode);
        if (m == null) {
            return 0;
        }
        int n = 0;
        for (Range r : overlapping(m, fileBlock, fileBlock + blocks)) {
            if (r.fileBlock() >= fileBlock && r.end() <= fileBlock + blocks) {
                remove(m, r);
                n++;
            }
        }
        return n;
    }

    /** Every damaged range, by inode and file block (a copy). */
    public synchronized List<Range> all() {
        List<Range> out = new ArrayList<>();
        new TreeMap<>(byInode).values().forEach(m -> out.addAll(m.values()));
        return out;
    }

    public synchronized boolean isEmpty() {
        return byInode.isEmpty();
    }

    /** Whether a change waits for the next commit to store it. */
    public synchronized boolean pending() {
        return !changed.isEmpty();
    }

    /**
     * The changes since the last store, by (inode, file block) key: the range there now,
     * or null when the range there went; they are no longer pending.
     */
    public synchronized Map<List<Long>, Range> takeChanged() {
        Map<List<Long>, Range> out = new HashMap<>(changed);
        changed.clear();
        return out;
    }

    /** A store failed: its changes are pending again (unless changed meanwhile). */
    public synchronized void unstored(Map<List<Long>, Range> taken) {
        taken.forEach(changed::putIfAbsent);
    }

    // ------------------------------------------------------------------ the change hook

    @Override
    public void contentChanged(long inode, long offset, long length) {
        if (length <= 0) {
            return;
        }
        // Only blocks the change covers whole are new content throughout.
        long first = (offset + blockSize - 1) / blockSize;
        long end = (offset + length) / blockSize;
        if (end > first) {
            cleared(inode, first, end - first);
        }
    }

    @Override
    public synchronized void resized(long inode, long oldSize, long newSize) {
        NavigableMap<Long, Range> m = byInode.get(inode);
        if (m == null || newSize >= oldSize) {
            return;
        }
        long end = (newSize + blockSize - 1) / blockSize; // blocks at or past it are gone
        for (Range r : overlapping(m, end, Long.MAX_VALUE)) {
            remove(m, r);
            if (r.fileBlock() < end) {
                put(m, new Range(inode, r.fileBlock(), end - r.fileBlock(), r.physical(), r.cause()));
            }
        }
    }

    @Override
    public synchronized void removed(long inode) {
        NavigableMap<Long, Range> m = byInode.get(inode);
        if (m != null) {
            for (Range r : new ArrayList<>(m.values())) {
                remove(m, r);
            }
        }
    }

    // ------------------------------------------------------------------ helpers, monitor held

    private static List<Range> overlapping(NavigableMap<Long, Range> m, long from, long to) {
        List<Range> out = new ArrayList<>();
        Map.Entry<Long, Range> before = m.lowerEntry(from);
        if (before != null && before.getValue().overlaps(from, to)) {
            out.add(before.getValue());
        }
        for (Range r : m.subMap(from, true, to, false).values()) {
            out.add(r);
        }
        return out;
    }

    private void put(NavigableMap<Long, Range> m, Range r) {
        // m may have been dropped from byInode when its last range was removed just before
        byInode.computeIfAbsent(r.inode(), i -> m).put(r.fileBlock(), r);
        changed.put(List.of(r.inode(), r.fileBlock()), r);
    }

    private void remove(NavigableMap<Long, Range> m, Range r) {
        m.remove(r.fileBlock());
        if (m.isEmpty()) {
            byInode.remove(r.inode());
        }
        changed.put(List.of(r.inode(), r.fileBlock()), null);
    }
}
