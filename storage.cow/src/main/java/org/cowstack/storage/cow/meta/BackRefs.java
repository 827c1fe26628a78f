package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;

/**
 * Back references: who maps each physical block, kept in the back-reference tree (XFS's
 * rmapbt in spirit) so that the owners of a block are found without scanning the file
 * extents. The layout is {@link ItemType#BACKREF}'s: records by level, first physical
 * block and inode, each a list of file offsets.
 *
 * <h2>Levels</h2>
 * A record of level j lies inside one aligned window of {@code SPAN * FANOUT^j} blocks,
 * and j is the least such level (level 0: within one window of {@link #SPAN} blocks). So
 * a record of level j &gt; 0 contains a multiple of the window of level j - 1, and the
 * records covering block b at level j start in {@code [b - b % window(j), b]}: a lookup
 * scans that range at each level, which reads the records of one {@link #SPAN} window at
 * level 0 and, above it, only records that cross one of the {@link #FANOUT} boundaries of
 * the level below in b's window (overlapping, so bounded by how many owners share those
 * blocks), never the volume. An extent is one record however long: a clone of 1 GiB in
 * one extent costs what one of 16 MiB does.
 *
 * <h2>Keeping it</h2>
 * Kept by the change hook: {@link #mapped} and {@link #unmapped} only record the event
 * (no tree access under the caller's locks, never a throw); the commit applies what was
 * recorded to the tree ({@link #apply}, exclusive tree lock held) before it applies the
 * reference-count ledger, whose loop then absorbs the nodes this copied. Queries
 * ({@link #covering}) merge the events not yet applied in memory, so they see the running
 * transaction under the shared tree lock and change nothing.
 */
public final class BackRefs implements ChangeListener {
    /** The window of level 0: no record of level 0 crosses a multiple of this many blocks. */
    public static final long SPAN = 64;
    private static final int FANOUT_BITS = 3;
    /** Each level's window is this many of the level below's. */
    public static final int FANOUT = 1 << FANOUT_BITS;
    /** Levels: the top one's window holds every physical block the key can name. */
    public static final int LEVELS = 18;
    /** Inode numbers below this fit the key (the chunk number goes above). */
    static final long INODE_MASK = (1L << 48) - 1;
    /** Physical blocks below this fit the key (the level goes above). */
    static final long PHYSICAL_MASK = (1L << 56) - 1;
    private static final int ENTRY = 16;

    /**
     * One back reference: physical blocks {@code [physical, physical + blocks)} are file
     * blocks {@code [fileBlock, fileBlock + blocks)} of {@code inode}.
     */
    public record Ref(long physical, long inode, long fileBlock, long blocks) {
        public long end() {
            return physical + blocks;
        }

        /** File block minus physical block: equal for the pieces of one mapping. */
        long delta() {
            return fileBlock - physical;
        }

        /** The part over physical blocks {@code [from, to)}, which it must overlap. */
        public Ref clip(long from, long to) {
            long a = Math.max(from, physical);
            long b = Math.min(to, end());
            return new Ref(a, inode, fileBlock + (a - physical), b - a);
        }

        boolean overlaps(long from, long to) {
            return physical < to && end() > from;
        }
    }

    /** A recorded, not yet applied change: {@code ref} gained ({@code mapped}) or lost. */
    private record Event(boolean mapped, Ref ref) {
    }

    /** Where records are kept while a change is applied: the tree, or a window of it in memory. */
    private interface Store {
        /** The records of {@code inode} (or every inode, for -1) overlapping physical blocks {@code [from, to)}. */
        List<Ref> overlapping(long from, long to, long inode) throws IOException;

        void add(Ref r) throws IOException;

        void remove(Ref r) throws IOException;
    }

    private final BTree tree;
    private final int maxEntries;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private List<Event> pending = new ArrayList<>();
    /** Tree items read by lookups so far: what a test measures lookups by. */
    private final AtomicLong itemsRead = new AtomicLong();

    public BackRefs(BTree tree) {
        this.tree = tree;
        this.maxEntries = Math.max(1, BTree.maxValueBytes(tree.nodeSize()) / ENTRY);
    }

    // ------------------------------------------------------------------ the change hook

    @Override
    public void mapped(long inode, long firstBlock, ExtentItem extent) {
        record(true, inode, firstBlock, extent);
    }

    @Override
    public void unmapped(long inode, long firstBlock, ExtentItem extent) {
        record(false, inode, firstBlock, extent);
    }

    /** A mapping change of both copies of the extent: the second copy's blocks have the same owners. */
    private void record(boolean mapped, long inode, long firstBlock, ExtentItem extent) {
        Event e = new Event(mapped, new Ref(extent.physical(), inode, firstBlock, extent.blocks()));
        Event m = extent.hasMirror() ? new Event(mapped, new Ref(extent.mirror(), inode, firstBlock, extent.blocks()))
                : null;
        synchronized (lock) {
            pending.add(e);
            if (m != null) {
                pending.add(m);
            }
        }
    }

    /** Whether changes wait for the next commit. */
    public boolean pending() {
        synchronized (lock) {
            return !pending.isEmpty();
        }
    }

    /** Tree items lookups read so far. */
    public long itemsRead() {
        return itemsRead.get();
    }

    // ------------------------------------------------------------------ applying

    /** Applies the recorded changes to the tree, in the order they were made. Exclusive tree lock held. */
    public void apply() throws IOException {
        List<Event> taken;
        synchronized (lock) {
            taken = pending;
            pending = new ArrayList<>();
        }
        Store store = new TreeStore();
        for (Event e : taken) {
            apply(store, e.mapped(), e.ref());
        }
    }

    /** Blocks in a window of {@code level}. */
    static long window(int level) {
        return SPAN << (FANOUT_BITS * level);
    }

    /** The least level whose window holds {@code [physical, physical + blocks)} whole. */
    static int levelOf(long physical, long blocks) {
        long last = physical + blocks - 1;
        for (int level = 0; level < LEVELS - 1; level++) {
            if (physical / window(level) == last / window(level)) {
                return level;
            }
        }
        return LEVELS - 1;
    }

    /** Applies one change. */
    private static void apply(Store store, boolean mapped, Ref ref) throws IOException {
        if (mapped) {
            add(store, ref);
        } else {
            remove(store, ref);
        }
    }

    /** Adds a mapping, merged with the records of the same file and offset it continues. */
    private static void add(Store store, Ref piece) throws IOException {
        long physical = piece.physical();
        long end = piece.end();
        long fileBlock = piece.fileBlock();
        for (Ref r : store.overlapping(Math.max(0, physical - 1), end + 1, piece.inode())) {
            if (r.delta() != piece.delta()) {
                continue;
            }
            if (r.end() == piece.physical()) {
                store.remove(r);
                physical = r.physical();
                fileBlock = r.fileBlock();
            } else if (r.physical() == piece.end()) {
                store.remove(r);
                end = r.end();
            }
        }
        store.add(new Ref(physical, piece.inode(), fileBlock, end - physical));
    }

    /** Removes a mapping from the records that hold it, which it trims or splits. */
    private static void remove(Store store, Ref piece) throws IOException {
        for (Ref r : store.overlapping(piece.physical(), piece.end(), piece.inode())) {
            if (r.delta() != piece.delta()) {
                continue;
            }
            store.remove(r);
            if (r.physical() < piece.physical()) {
                store.add(r.clip(r.physical(), piece.physical()));
            }
            if (r.end() > piece.end()) {
                store.add(r.clip(piece.end(), r.end()));
            }
        }
    }

    // ------------------------------------------------------------------ lookups

    /**
     * The back references overlapping physical blocks {@code [physical, physical + blocks)},
     * as of the changes made so far (the running transaction's included), each clipped to
     * the range, in physical order. Reads, at each level, the records starting between
     * the start of the range's window and its end, nothing else. Tree lock held (shared is
     * enough).
     */
    public List<Ref> covering(long physical, long blocks) throws IOException {
        long from = physical;
        long to = physical + blocks;
        MemoryStore window = new MemoryStore();
        for (Ref r : stored(from, to, -1)) {
            window.add(r);
        }
        List<Event> events;
        synchronized (lock) {
            events = new ArrayList<>(pending);
        }
        for (Event e : events) {
            if (e.ref().overlaps(from, to)) {
                apply(window, e.mapped(), e.ref().clip(from, to));
            }
        }
        List<Ref> out = new ArrayList<>();
        for (Ref r : window.all()) {
            if (r.overlaps(physical, to)) {
                out.add(r.clip(physical, to));
            }
        }
        out.sort(ORDER);
        return out;
    }

    /**
     * Checks that inode {@code inode} alone maps the blocks {@code physical + i} for which
     * {@code counted[i]} holds (those the refcount tree counts once), at file block
     * {@code fileBlock + i}: what an overwrite in place asks before it trusts a count of
     * one, so that a count that disagrees with the extents never lets one file write over
     * another's blocks. Tree lock held.
     *
     * @throws Corruption naming a block another owner maps too
     */
    public void checkSoleOwner(long physical, boolean[] counted, long inode, long fileBlock) throws IOException {
        for (int i = 0; i < counted.length; i++) {
            if (!counted[i]) {
                continue;
            }
            int start = i;
            while (i + 1 < counted.length && counted[i + 1]) {
                i++;
            }
            for (Ref r : covering(physical + start, i + 1 - start)) {
                if (r.inode() != inode || r.fileBlock() - r.physical() != fileBlock - physical) {
                    throw new Corruption("block " + r.physical() + " is counted once in the refcount tree for inode "
                            + inode + ", but inode " + r.inode() + " maps it too (at file block " + r.fileBlock() + ")");
                }
            }
        }
    }

    /**
     * Checks that no file maps blocks {@code [start, start + blocks)}, as of the changes
     * made so far: what the reference counts ask before they free blocks whose count fell
     * to zero. Tree lock held.
     *
     * @throws Corruption naming a file that still maps one
     */
    public void checkUnmapped(long start, long blocks) throws IOException {
        List<Ref> still = covering(start, blocks);
        Corruption.check(still.isEmpty(), () -> "blocks " + start + "+" + blocks + " lost their last counted reference "
                + "but inode " + still.get(0).inode() + " still maps block " + still.get(0).physical()
                + " (at file block " + still.get(0).fileBlock() + ")");
    }

    /** Every stored record (without the changes not yet applied), in key order. Tree lock held. */
    public List<Ref> stored() throws IOException {
        List<Ref> out = new ArrayList<>();
        tree.scanAll((k, v) -> {
            Corruption.check(k.type() == ItemType.BACKREF, () -> "item " + k + " in the back-reference tree");
            for (Ref r : decode(k, v)) {
                out.add(r);
            }
            return true;
        });
        return out;
    }

    /** Records stored overlapping {@code [from, to)}, of {@code inode} or (-1) every inode. */
    private List<Ref> stored(long from, long to, long inode) throws IOException {
        List<Ref> out = new ArrayList<>();
        if (from >= to) {
            return out;
        }
        for (int level = 0; level < LEVELS; level++) {
            long start = from - from % window(level);
            tree.scan(Key.first(objectId(level, start), ItemType.BACKREF),
                    Key.last(objectId(level, to - 1), ItemType.BACKREF), (k, v) -> {
                        itemsRead.incrementAndGet();
                        if (k.type() == ItemType.BACKREF && (inode < 0 || (k.offset() & INODE_MASK) == inode)) {
                            for (Ref r : decode(k, v)) {
                                if (r.overlaps(from, to)) {
                                    out.add(r);
                                }
                            }
                        }
                        return true;
                    });
        }
        return out;
    }

    /** Physical order, then inode, then file block. */
    public static final Comparator<Ref> ORDER = Comparator.comparingLong(Ref::physical).thenComparingLong(Ref::inode)
            .thenComparingLong(Ref::fileBlock).thenComparingLong(Ref::blocks);

    /**
     * The back references a set of mappings implies, in the one form the tree keeps them
     * when nothing is left to merge: each mapping's blocks merged with the touching blocks
     * of the same file at the same offset. Two sets
     * of references describe the same ownership exactly when their canonical forms are equal.
     */
    public static List<Ref> canonical(Collection<Ref> refs) {
        // per (inode, delta): the union of physical intervals
        TreeMap<Long, TreeMap<Long, TreeMap<Long, Long>>> byInode = new TreeMap<>();
        for (Ref r : refs) {
            TreeMap<Long, Long> runs = byInode.computeIfAbsent(r.inode(), i -> new TreeMap<>())
                    .computeIfAbsent(r.delta(), d -> new TreeMap<>());
            long start = r.physical();
            long end = r.end();
            var before = runs.floorEntry(start);
            if (before != null && before.getValue() >= start) {
                start = before.getKey();
                end = Math.max(end, before.getValue());
                runs.remove(before.getKey());
            }
            for (var it = runs.subMap(start, true, end, true).entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                end = Math.max(end, e.getValue());
                it.remove();
            }
            runs.put(start, end);
        }
        List<Ref> out = new ArrayList<>();
        byInode.forEach((inode, deltas) -> deltas.forEach((delta, runs) -> runs.forEach((start, end) ->
                out.add(new Ref(start, inode, start + delta, end - start)))));
        out.sort(ORDER);
        return out;
    }

    // ------------------------------------------------------------------ encoding

    private static long objectId(int level, long physical) {
        return (long) level << 56 | physical;
    }

    private static Key key(long physical, long blocks, long inode, int chunk) {
        if (inode < 0 || inode > INODE_MASK || physical < 0 || physical > PHYSICAL_MASK) {
            throw new IllegalArgumentException("block " + physical + " of inode " + inode
                    + " does not fit a back reference");
        }
        return new Key(objectId(levelOf(physical, blocks), physical), ItemType.BACKREF, inode | (long) chunk << 48);
    }

    /** The references one item of the back-reference tree holds (a check reads the tree itself). */
    public static List<Ref> decode(Key k, byte[] v) {
        Corruption.check(v.length % ENTRY == 0 && v.length > 0, () -> "back reference " + k + " of " + v.length
                + " bytes");
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        long inode = k.offset() & INODE_MASK;
        long physical = k.objectId() & PHYSICAL_MASK;
        int level = (int) (k.objectId() >>> 56);
        List<Ref> out = new ArrayList<>(v.length / ENTRY);
        while (b.hasRemaining()) {
            long fileBlock = b.getLong();
            long blocks = b.getLong();
            Corruption.check(blocks > 0 && blocks <= PHYSICAL_MASK - physical && levelOf(physical, blocks) == level,
                    () -> "back reference " + k + " of " + blocks + " blocks (level " + level + ")");
            out.add(new Ref(physical, inode, fileBlock, blocks));
        }
        return out;
    }

    private static byte[] encode(List<Ref> entries) {
        ByteBuffer b = ByteBuffer.allocate(entries.size() * ENTRY).order(ByteOrder.LITTLE_ENDIAN);
        for (Ref r : entries) {
            b.putLong(r.fileBlock()).putLong(r.blocks());
        }
        return b.array();
    }

    /** The tree itself: a (physical, inode) cell is rewritten whole, chunk by chunk. */
    private final class TreeStore implements Store {
        @Override
        public List<Ref> overlapping(long from, long to, long inode) throws IOException {
            return stored(from, to, inode);
        }

        /** The records of one key: one first block, level and inode. */
        private List<Ref> cell(long physical, long blocks, long inode) throws IOException {
            List<Ref> out = new ArrayList<>();
            for (int c = 0; ; c++) {
                Key k = key(physical, blocks, inode, c);
                byte[] v = tree.get(k);
                if (v == null) {
                    return out;
                }
                out.addAll(decode(k, v));
            }
        }

        private void write(Ref like, int hadChunks, List<Ref> entries) throws IOException {
            entries.sort(Comparator.comparingLong(Ref::fileBlock).thenComparingLong(Ref::blocks));
            int chunks = 0;
            for (int at = 0; at < entries.size(); at += maxEntries) {
                tree.put(key(like.physical(), like.blocks(), like.inode(), chunks++), encode(entries.subList(at,
                        Math.min(entries.size(), at + maxEntries))));
            }
            for (int c = chunks; c < hadChunks; c++) {
                tree.delete(key(like.physical(), like.blocks(), like.inode(), c));
            }
        }

        private int chunks(List<Ref> entries) {
            return (entries.size() + maxEntries - 1) / maxEntries;
        }

        @Override
        public void add(Ref r) throws IOException {
            List<Ref> cell = cell(r.physical(), r.blocks(), r.inode());
            int had = chunks(cell);
            cell.add(r);
            write(r, had, cell);
        }

        @Override
        public void remove(Ref r) throws IOException {
            List<Ref> cell = cell(r.physical(), r.blocks(), r.inode());
            int had = chunks(cell);
            if (cell.remove(r)) {
                write(r, had, cell);
            }
        }
    }

    /** A window of the tree in memory, for a lookup that merges changes not yet applied. */
    private static final class MemoryStore implements Store {
        private final TreeMap<Long, List<Ref>> byStart = new TreeMap<>();

        @Override
        public List<Ref> overlapping(long from, long to, long inode) {
            List<Ref> out = new ArrayList<>();
            if (from >= to) {
                return out;
            }
            for (List<Ref> refs : byStart.headMap(to).values()) { // a lookup's few records: all of them
                for (Ref r : refs) {
                    if ((inode < 0 || r.inode() == inode) && r.overlaps(from, to)) {
                        out.add(r);
                    }
                }
            }
            return out;
        }

        @Override
        public void add(Ref r) {
            byStart.computeIfAbsent(r.physical(), p -> new ArrayList<>()).add(r);
        }

        @Override
        public void remove(Ref r) {
            List<Ref> refs = byStart.get(r.physical());
            if (refs != null && refs.remove(r) && refs.isEmpty()) {
                byStart.remove(r.physical());
            }
        }

        List<Ref> all() {
            List<Ref> out = new ArrayList<>();
            byStart.values().forEach(out::addAll);
            return out;
        }
    }
}
