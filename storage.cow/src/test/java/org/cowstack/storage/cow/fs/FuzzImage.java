package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;

/**
 * A real image for {@link ImageFuzzTest}, built by the engine: files written buffered
 * and direct, clones, a dedupe, a punched hole, a NOCOW file, a preallocated one, a
 * dirty bitmap, a subdirectory, and enough small files that the trees have interior
 * nodes. Two commits: the previous generation lacks {@code /last}, so a mount that
 * falls back to it (the newest superblock broken) has an exact expected state too.
 * Recorded: the bytes, every node of every tree of the newest generation, and the
 * blocks each generation owns (nodes and extents, both copies).
 */
final class FuzzImage {
    static final int B = 4096;

    /** A node of the newest generation, and where its parent points at it (parent -1: the superblock). */
    record NodeRef(TreeId tree, long block, long mirror, int level, long generation, long parent, int slot,
            int items) {
    }

    /** What one generation holds and owns. */
    record State(long generation, Map<String, byte[]> files, BitSet owned, BitSet nocow,
            Map<Long, List<long[]>> extents) {
        /**
         * Whether extent {@code t} ({inode, file block, physical, blocks, mirror}) lies
         * inside one this generation's files had, mapping the same blocks at the same
         * offsets: a piece of a real file's extent, not one a mutation made up.
         */
        boolean had(long[] t) {
            for (long[] p : extents.getOrDefault(t[0], List.of())) {
                if (t[1] >= p[1] && t[3] <= p[1] + p[3] - t[1] && t[2] - t[1] == p[2] - p[1]
                        && (t[4] == 0 ? p[4] == 0 : p[4] != 0 && t[4] - t[1] == p[4] - p[1])) {
                    return true;
                }
            }
            return false;
        }
    }

    final String name;
    final byte[] pristine;
    final long totalBlocks;
    final long firstDataBlock;
    final int nodeSize;
    final ChecksumAlgorithm checksum;
    final State newest;
    final State previous;
    final List<NodeRef> nodes;
    /** Extent items of the newest generation's files: {physical, blocks}. */
    final List<long[]> extents;

    private FuzzImage(String name, byte[] pristine, Superblock sb, State newest, State previous,
            List<NodeRef> nodes, List<long[]> extents) {
        this.name = name;
        this.pristine = pristine;
        this.totalBlocks = sb.totalBlocks;
        this.firstDataBlock = sb.firstDataBlock();
        this.nodeSize = Math.max(B, sb.blockSize);
        this.checksum = Volumes.SERVICES.checksum(sb.checksumId);
        this.newest = newest;
        this.previous = previous;
        this.nodes = nodes;
        this.extents = extents;
    }

    /** Byte offset of the newest superblock copy. */
    long newestSuperblock() {
        return Superblock.OFFSETS[(int) (newest.generation % Superblock.OFFSETS.length)];
    }

    State state(long generation) {
        return generation == newest.generation ? newest : generation == previous.generation ? previous : null;
    }

    static FuzzImage build(String name, long size, String metadataProfile, long seed) throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:fuzz-" + name);
        CowVolume v = volumes.fresh(uri, size, FormatOptions.defaults().metadataProfile(metadataProfile));
        Random r = new Random(seed);
        Map<String, byte[]> files = new TreeMap<>();
        for (int i = 0; i < 260; i++) {
            byte[] d = new byte[1 + r.nextInt(3000)];
            r.nextBytes(d);
            put(v, files, "/s" + i, d);
        }
        v.mkdir("/d");
        for (int i = 0; i < 12; i++) {
            byte[] d = new byte[r.nextInt(3 * B)];
            r.nextBytes(d);
            put(v, files, "/d/f" + i, d);
        }
        byte[] big = new byte[150 * B + 123];
        r.nextBytes(big);
        put(v, files, "/big", big);
        try (FileHandle f = v.open("/big", Volumes.RW)) {
            f.bitmaps().add("b", BitmapOptions.defaults());
            byte[] patch = new byte[3 * B];
            r.nextBytes(patch);
            f.write(ByteBuffer.wrap(patch), 10 * B);
            System.arraycopy(patch, 0, big, 10 * B, patch.length);
        }
        byte[] direct = new byte[24 * B];
        r.nextBytes(direct);
        try (FileHandle f = v.open("/direct", Volumes.RW)) {
            ByteBuffer b = ByteBuffer.allocateDirect(direct.length);
            b.put(direct).flip();
            f.writeDirect(b, 0);
        }
        files.put("/direct", direct);
        try (FileHandle a = v.open("/big", Volumes.RW); FileHandle c = v.open("/clone", Volumes.RW)) {
            c.cloneRange(a, 0, 0, 16 * B);
            c.cloneRange(a, 40 * B, 32 * B, 8 * B);
            byte[] clone = new byte[40 * B];
            System.arraycopy(big, 0, clone, 0, 16 * B);
            System.arraycopy(big, 40 * B, clone, 32 * B, 8 * B);
            files.put("/clone", clone);
        }
        byte[] dup = java.util.Arrays.copyOfRange(big, 60 * B, 68 * B);
        put(v, files, "/dedupe", dup);
        try (FileHandle a = v.open("/big", Volumes.RW); FileHandle d = v.open("/dedupe", Volumes.RW)) {
            d.dedupeRange(a, 60 * B, 0, 8 * B);
        }
        byte[] holey = new byte[32 * B];
        r.nextBytes(holey);
        put(v, files, "/holey", holey);
        try (FileHandle f = v.open("/holey", Volumes.RW)) {
            f.fallocate(FallocateMode.PUNCH_HOLE, 8 * B, 8 * B);
            java.util.Arrays.fill(holey, 8 * B, 16 * B, (byte) 0);
        }
        byte[] nocow = new byte[16 * B];
        r.nextBytes(nocow);
        try (FileHandle f = v.open("/nocow", Volumes.RW)) {
            f.setFlags(EnumSet.of(FileFlag.NOCOW), Set.of());
            f.write(ByteBuffer.wrap(nocow), 0);
        }
        files.put("/nocow", nocow);
        try (FileHandle f = v.open("/prealloc", Volumes.RW)) {
            f.fallocate(FallocateMode.ALLOCATE, 0, 8 * B);
            f.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), B);
        }
        byte[] pre = new byte[8 * B];
        pre[B] = 1;
        pre[B + 1] = 2;
        pre[B + 2] = 3;
        files.put("/prealloc", pre);
        v.delete("/s7");
        files.remove("/s7");
        v.sync();
        long previousGeneration = v.committedGeneration();
        Map<String, byte[]> previousFiles = new TreeMap<>(files);
        put(v, files, "/last", new byte[] {42});
        v.sync();
        long newestGeneration = v.committedGeneration();
        v.unmount();
        byte[] image;
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            ByteBuffer all = ByteBuffer.allocate((int) d.size());
            d.read(all, 0);
            image = all.array();
        }
        List<NodeRef> nodes = new ArrayList<>();
        List<long[]> extents = new ArrayList<>();
        State newest = map(image, newestGeneration, files, nodes, extents);
        byte[] withoutNewest = image.clone();
        long slot = Superblock.OFFSETS[(int) (newestGeneration % Superblock.OFFSETS.length)];
        java.util.Arrays.fill(withoutNewest, (int) slot, (int) slot + Superblock.SIZE, (byte) 0);
        State previous = map(withoutNewest, previousGeneration, previousFiles, new ArrayList<>(), new ArrayList<>());
        Superblock sb;
        try (BlockDevice d = new FuzzDevice(uri, image.clone(), image, B, true)) {
            sb = VolumeFormat.readSuperblock(d, Volumes.SERVICES);
        }
        return new FuzzImage(name, image, sb, newest, previous, List.copyOf(nodes), List.copyOf(extents));
    }

    private static void put(CowVolume v, Map<String, byte[]> files, String path, byte[] data) throws IOException {
        Volumes.write(v, path, 0, data);
        files.put(path, data);
    }

    /**
     * The blocks a mounted volume's trees own as of now (nodes and extents, both copies);
     * {@code nodes} and {@code extents} receive what was found.
     */
    static BitSet owned(CowVolume v, List<NodeRef> nodes, List<long[]> extents) throws IOException {
        return owned(v, nodes, extents, new ArrayList<>(), t -> true);
    }

    /**
     * As above, counting only the extents {@code keep} accepts; {@code tuples} receives
     * every extent as {inode, file block, physical, blocks, mirror}.
     */
    static BitSet owned(CowVolume v, List<NodeRef> nodes, List<long[]> extents, List<long[]> tuples,
            java.util.function.Predicate<long[]> keep) throws IOException {
        BitSet owned = new BitSet();
        int nodeBlocks = Math.max(B, v.blockSize()) / v.blockSize();
        for (BTree t : v.trees()) {
            Map<Long, long[]> parents = new java.util.HashMap<>();
            t.forEachNode(n -> {
                set(owned, n.block(), nodeBlocks);
                if (n.mirror() != 0) {
                    set(owned, n.mirror(), nodeBlocks);
                }
                long[] p = parents.getOrDefault(n.block(), new long[] {-1, -1});
                nodes.add(new NodeRef(t.id(), n.block(), n.mirror(), n.level(), n.generation(), p[0], (int) p[1],
                        n.size()));
                if (!n.isLeaf()) {
                    for (int i = 0; i < n.size(); i++) {
                        parents.put(n.childBlock(i), new long[] {n.block(), i});
                    }
                }
            });
        }
        v.tree(TreeId.FS).scanAll((k, value) -> {
            if (k.type() == ItemType.EXTENT) {
                ExtentItem e = ExtentItem.decode(value);
                long[] t = {k.objectId(), k.offset(), e.physical(), e.blocks(), e.mirror()};
                tuples.add(t);
                if (!keep.test(t)) {
                    return true;
                }
                set(owned, e.physical(), e.blocks());
                if (e.hasMirror()) {
                    set(owned, e.mirror(), e.blocks());
                }
                extents.add(new long[] {e.physical(), e.blocks()});
            }
            return true;
        });
        return owned;
    }

    /** Sets the bits of blocks [start, start + blocks) that can be blocks of an image (a damaged one names any). */
    private static void set(BitSet bits, long start, long blocks) {
        long from = Math.max(0, Math.min(start, Integer.MAX_VALUE));
        long to = Math.max(from, Math.min(Integer.MAX_VALUE, start + Math.min(blocks, Integer.MAX_VALUE)));
        bits.set((int) from, (int) to);
    }

    /** Mounts the image read-only, checks it holds {@code files}, and maps what its generation owns. */
    private static State map(byte[] image, long generation, Map<String, byte[]> files, List<NodeRef> nodes,
            List<long[]> extents) throws IOException {
        URI uri = URI.create("fuzz:map");
        CowVolume v = CowVolume.mount("map", uri, new FuzzDevice(uri, image, image, B, true), Volumes.SERVICES,
                MountOptions.defaults().readOnly(true), 4 << 20);
        try {
            if (v.committedGeneration() != generation) {
                throw new AssertionError("mounted generation " + v.committedGeneration() + ", expected " + generation);
            }
            List<long[]> tuples = new ArrayList<>();
            BitSet owned = owned(v, nodes, extents, tuples, t -> true);
            Map<Long, List<long[]>> byInode = new java.util.HashMap<>();
            tuples.forEach(t -> byInode.computeIfAbsent(t[0], x -> new ArrayList<>()).add(t));
            Map<String, byte[]> found = ImageFuzzTest.readEverything(v, files);
            if (!FileStates.same(files, found)) {
                throw new AssertionError("generation " + generation + ": " + FileStates.difference(files, found));
            }
            if (!v.checkCommitted().clean()) {
                throw new AssertionError("the unmutated image is not clean: " + v.checkCommitted().problems());
            }
            BitSet nocow = new BitSet();
            try (FileHandle f = v.open("/nocow", EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
                for (var e : f.extents(0, 0)) {
                    set(nocow, e.physical() / B, (e.length() + B - 1) / B);
                }
            }
            return new State(generation, Collections.unmodifiableMap(files), owned, nocow, byInode);
        } finally {
            v.abandon();
        }
    }
}
