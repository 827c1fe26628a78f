package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.meta.ChangeListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The change hook: every kind of mutation reports through it, and each reports exactly
 * the ranges it changed: the file blocks whose content changed, the file blocks that
 * gained or lost physical blocks (with the physical blocks fiemap shows before and
 * after), the physical blocks overwritten in place and those freed.
 */
class ChangeHookTest {
    private static final int B = 4096;

    /** What the hook told, as sets: (inode, file block) keys, physical blocks. */
    private static final class Recorder implements ChangeListener {
        final TreeSet<String> content = new TreeSet<>();
        /** "inode:fileBlock" -> physical block. */
        final TreeMap<String, Long> mapped = new TreeMap<>();
        final TreeMap<String, Long> unmapped = new TreeMap<>();
        final TreeSet<Long> rewritten = new TreeSet<>();
        final TreeSet<Long> freed = new TreeSet<>();
        final TreeSet<Long> removed = new TreeSet<>();

        /** A copy of what was told so far (fiemap commits dirty pages, which tells more). */
        Recorder snapshot() {
            Recorder r = new Recorder();
            r.content.addAll(content);
            r.mapped.putAll(mapped);
            r.unmapped.putAll(unmapped);
            r.rewritten.addAll(rewritten);
            r.freed.addAll(freed);
            r.removed.addAll(removed);
            r.resized.addAll(resized);
            return r;
        }

        /** Blocks freed among {@code blocks}: frees of metadata nodes are told too, and ignored here. */
        TreeSet<Long> freedOf(java.util.Collection<Long> blocks) {
            TreeSet<Long> out = new TreeSet<>(freed);
            out.retainAll(blocks);
            return out;
        }

        void clear() {
            content.clear();
            mapped.clear();
            unmapped.clear();
            rewritten.clear();
            freed.clear();
            removed.clear();
            resized.clear();
        }

        final TreeSet<String> resized = new TreeSet<>();

        @Override
        public void contentChanged(long inode, long offset, long length) {
            for (long b = offset / B; b < (offset + length + B - 1) / B; b++) {
                content.add(inode + ":" + b);
            }
        }

        @Override
        public void resized(long inode, long oldSize, long newSize) {
            resized.add(inode + ":" + oldSize + "->" + newSize);
        }

        @Override
        public void mapped(long inode, long firstBlock, ExtentItem extent) {
            for (long b = 0; b < extent.blocks(); b++) {
                mapped.put(inode + ":" + (firstBlock + b), extent.physical() + b);
            }
        }

        @Override
        public void unmapped(long inode, long firstBlock, ExtentItem extent) {
            for (long b = 0; b < extent.blocks(); b++) {
                unmapped.put(inode + ":" + (firstBlock + b), extent.physical() + b);
            }
        }

        @Override
        public void rewritten(long physical, long blocks) {
            for (long b = 0; b < blocks; b++) {
                rewritten.add(physical + b);
            }
        }

        @Override
        public void freed(long physical, long blocks) {
            for (long b = 0; b < blocks; b++) {
                freed.add(physical + b);
            }
        }

        @Override
        public void removed(long inode) {
            removed.add(inode);
        }
    }

    private final Recorder events = new Recorder();
    private CowVolume v;

    @BeforeEach
    void mount() throws IOException {
        v = Volumes.mem().fresh(URI.create("mem:hook"), 64 << 20);
        v.dioStrategy("bounce");
        v.changes().add(events);
    }

    @AfterEach
    void unmount() throws IOException {
        v.unmount();
    }

    private static ByteBuffer data(int blocks, int value) {
        byte[] b = new byte[blocks * B];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    /** File block -> physical block of the file's data and preallocated blocks, as fiemap shows them. */
    private static TreeMap<String, Long> map(FileHandle f) throws IOException {
        long ino = f.stat().inode();
        TreeMap<String, Long> out = new TreeMap<>();
        for (ExtentMapping m : f.extents(0, 0)) {
            if (m.physical() >= 0) {
                for (long at = 0; at < m.length(); at += B) {
                    out.put(ino + ":" + (m.logical() + at) / B, (m.physical() + at) / B);
                }
            }
        }
        return out;
    }

    private static TreeSet<String> blocks(FileHandle f, long first, long count) throws IOException {
        long ino = f.stat().inode();
        TreeSet<String> out = new TreeSet<>();
        for (long b = first; b < first + count; b++) {
            out.add(ino + ":" + b);
        }
        return out;
    }

    /** The entries of {@code after} that differ from {@code before}: what was mapped anew. */
    private static TreeMap<String, Long> gained(TreeMap<String, Long> before, TreeMap<String, Long> after) {
        TreeMap<String, Long> out = new TreeMap<>(after);
        out.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
        return out;
    }

    @Test
    void aBufferedWriteReportsItsContentAtOnceAndItsBlocksAtWriteback() throws IOException {
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(data(2, 1), B);
            assertEquals(blocks(f, 1, 2), events.content);
            assertEquals(Set.of(), events.mapped.keySet(), "no blocks before writeback");
            v.sync();
            assertEquals(map(f), events.mapped);
            assertTrue(events.unmapped.isEmpty());
            assertEquals(Set.of(), events.freedOf(map(f).values()));

            // Overwrite one block: copy on write, the old block freed.
            TreeMap<String, Long> before = map(f);
            events.clear();
            f.write(data(1, 2), B);
            v.sync();
            assertEquals(blocks(f, 1, 1), events.content);
            assertEquals(gained(before, map(f)), events.mapped);
            String key = f.stat().inode() + ":1";
            assertEquals(java.util.Map.of(key, before.get(key)), events.unmapped);
            assertEquals(Set.of(before.get(key)), events.freedOf(before.values()), "the old block, no other");
        }
    }

    @Test
    void aDirectWriteReportsContentAndBlocksAtOnce() throws IOException {
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            ByteBuffer direct = ByteBuffer.allocateDirect(2 * B);
            direct.put(data(2, 3)).flip();
            f.writeDirect(direct, 4 * B);
            assertEquals(blocks(f, 4, 2), events.content);
            assertEquals(map(f), events.mapped);
        }
    }

    @Test
    void aNocowOverwriteReportsContentAndTheBlocksRewrittenInPlace() throws IOException {
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(data(3, 1), 0);
            v.sync();
            TreeMap<String, Long> before = map(f);
            events.clear();
            f.write(data(1, 2), B);
            v.sync();
            assertEquals(blocks(f, 1, 1), events.content);
            assertEquals(Set.of(before.get(f.stat().inode() + ":1")), events.rewritten);
            assertTrue(events.mapped.isEmpty() && events.unmapped.isEmpty(), "in place: no mapping changes");
            assertEquals(before, map(f));
        }
    }

    @Test
    void fallocateInEveryModeReportsWhatItChanged() throws IOException {
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(data(8, 1), 0);
            v.sync();

            TreeMap<String, Long> before = map(f);
            events.clear();
            f.fallocate(FallocateMode.ALLOCATE, 8 * B, 4 * B);
            assertEquals(gained(before, map(f)), events.mapped);
            assertEquals(blocks(f, 8, 4), events.mapped.navigableKeySet());
            assertTrue(events.content.isEmpty(), "preallocation reads as zeros: no content change");
            assertEquals(Set.of(f.stat().inode() + ":" + 8 * B + "->" + 12 * B), events.resized);

            before = map(f);
            events.clear();
            f.fallocate(FallocateMode.ALLOCATE_KEEP_SIZE, 16 * B, 2 * B);
            assertEquals(blocks(f, 16, 2), events.mapped.navigableKeySet());
            assertEquals(gained(before, map(f)), events.mapped, "listed past EOF by fiemap too");
            assertTrue(events.content.isEmpty());
            assertTrue(events.resized.isEmpty(), "keep size");

            before = map(f);
            events.clear();
            f.fallocate(FallocateMode.PUNCH_HOLE, B, 2 * B);
            assertEquals(blocks(f, 1, 2), events.content);
            TreeMap<String, Long> punched = new TreeMap<>(before);
            punched.keySet().retainAll(blocks(f, 1, 2));
            assertEquals(punched, events.unmapped);
            assertTrue(events.mapped.isEmpty());

            // Zero range over a partial block and whole ones: the edge zeroed, the whole blocks
            // unmapped and preallocated afresh.
            before = map(f);
            events.clear();
            f.fallocate(FallocateMode.ZERO_RANGE, 4 * B + 100, 2 * B);
            Recorder now = events.snapshot();
            assertEquals(blocks(f, 4, 3), now.content);
            assertEquals(Set.of(f.stat().inode() + ":5"), now.unmapped.keySet());
            assertEquals(Set.of(f.stat().inode() + ":5"), now.mapped.keySet(), "the whole block preallocated afresh");
            v.sync(); // the zeroed edge blocks 4 and 6 are written back: copied on write
            TreeMap<String, Long> after = map(f);
            assertEquals(gained(before, after), events.mapped);
            assertEquals(blocks(f, 4, 3), events.mapped.navigableKeySet());
            TreeMap<String, Long> replaced = new TreeMap<>(before);
            replaced.keySet().retainAll(blocks(f, 4, 3));
            assertEquals(replaced, events.unmapped);

            v.sync();
            events.clear();
            f.fallocate(FallocateMode.ZERO_RANGE_KEEP_SIZE, 6 * B, B);
            assertEquals(blocks(f, 6, 1), events.content);
            assertEquals(Set.of(f.stat().inode() + ":6"), events.unmapped.keySet());
            assertEquals(Set.of(f.stat().inode() + ":6"), events.mapped.keySet());
        }
    }

    @Test
    void truncateReportsTheBlocksCutOffAndTheEdgeZeroed() throws IOException {
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(data(6, 1), 0);
            v.sync();
            TreeMap<String, Long> before = map(f);
            events.clear();
            f.truncate(2 * B + 10);
            assertEquals(blocks(f, 2, 4), events.content, "the edge block zeroed past 10 bytes, 3..5 cut off");
            TreeMap<String, Long> cut = new TreeMap<>(before);
            cut.keySet().retainAll(blocks(f, 3, 3));
            assertEquals(cut, events.unmapped);
            assertEquals(Set.of(f.stat().inode() + ":" + 6 * B + "->" + (2 * B + 10)), events.resized);
            events.clear();
            f.truncate(10 * B);
            assertTrue(events.content.isEmpty() && events.unmapped.isEmpty() && events.mapped.isEmpty(),
                    "growing changes no block: " + events.content);
            assertEquals(Set.of(f.stat().inode() + ":" + (2 * B + 10) + "->" + 10 * B), events.resized);
        }
    }

    @Test
    void cloneDedupeUnshareAndDeleteReportTheirRanges() throws IOException {
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            a.write(data(4, 7), 0);
            b.write(data(4, 7), 0);
            v.sync();
            TreeMap<String, Long> aMap = map(a);
            TreeMap<String, Long> bBefore = map(b);

            events.clear();
            DedupeResult d = b.dedupeRange(a, 0, 0, 2 * B);
            assertEquals(2 * B, d.bytesDeduped());
            assertTrue(events.content.isEmpty(), "dedupe changes no content");
            TreeMap<String, Long> bNow = map(b);
            assertEquals(gained(bBefore, bNow), events.mapped);
            assertEquals(blocks(b, 0, 2), events.mapped.navigableKeySet());
            for (long k = 0; k < 2; k++) {
                assertEquals(aMap.get(a.stat().inode() + ":" + k), bNow.get(b.stat().inode() + ":" + k));
            }
            TreeMap<String, Long> lost = new TreeMap<>(bBefore);
            lost.keySet().retainAll(blocks(b, 0, 2));
            assertEquals(lost, events.unmapped);
            v.sync();

            events.clear();
            assertEquals(B, b.cloneRange(a, 3 * B, 3 * B, B));
            assertEquals(blocks(b, 3, 1), events.content);
            assertEquals(java.util.Map.of(b.stat().inode() + ":3", aMap.get(a.stat().inode() + ":3")), events.mapped);
            assertEquals(Set.of(b.stat().inode() + ":3"), events.unmapped.keySet());

            v.sync();
            TreeMap<String, Long> shared = map(b);
            events.clear();
            b.fallocate(FallocateMode.UNSHARE, 0, 4 * B);
            assertTrue(events.content.isEmpty() && events.mapped.isEmpty(), "unshare changes blocks at writeback");
            v.sync();
            assertTrue(events.content.isEmpty(), "unshare changes no content");
            TreeMap<String, Long> sharedBlocks = new TreeMap<>(shared);
            sharedBlocks.keySet().retainAll(Set.of(b.stat().inode() + ":0", b.stat().inode() + ":1",
                    b.stat().inode() + ":3"));
            assertEquals(sharedBlocks, events.unmapped);
            assertEquals(gained(shared, map(b)), events.mapped);
            assertEquals(Set.of(), events.freedOf(map(a).values()), "a's blocks stay referenced by a");

            TreeMap<String, Long> all = map(a);
            long ino = a.stat().inode();
            events.clear();
            v.delete("/a");
            assertEquals(all, events.unmapped);
            assertEquals(Set.of(ino), events.removed);
            v.sync();
            assertEquals(new TreeSet<>(all.values()), events.freedOf(all.values()),
                    "a's blocks are free now that b has its own");
        }
    }
}
