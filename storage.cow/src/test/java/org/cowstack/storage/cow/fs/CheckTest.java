package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.RefRun;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.inspect.Check;
import org.junit.jupiter.api.Test;

/**
 * {@code storage:check}: clean on a consistent volume, mounted or not; one line per
 * problem on a damaged one; and it changes nothing, whatever it finds.
 */
class CheckTest {
    private static final int B = 4096;
    private static final long SIZE = 32L << 20;
    private final Volumes volumes = Volumes.mem();

    private static void populate(CowVolume v) throws IOException {
        Random r = new Random(7);
        for (int i = 0; i < 40; i++) {
            byte[] d = new byte[(1 + r.nextInt(20)) * B + r.nextInt(B)];
            r.nextBytes(d);
            Volumes.write(v, "/f" + i, 0, d);
        }
        try (FileHandle a = v.open("/f1", Volumes.RW); FileHandle b = v.open("/clone", Volumes.RW)) {
            b.cloneRange(a, 0, 0, B);
            b.cloneRange(a, 0, 4 * B, B);
            a.fallocate(FallocateMode.ALLOCATE, 64 * B, 8 * B);
        }
        v.delete("/f3");
        v.sync();
    }

    private byte[] image(URI uri) throws IOException {
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            ByteBuffer b = ByteBuffer.allocate((int) d.size());
            d.read(b, 0);
            return b.array();
        }
    }

    private URI install(String name, byte[] image) throws IOException {
        URI copy = URI.create("mem:" + name);
        try (BlockDevice d = volumes.provider.open(copy, OpenOptions.create(image.length))) {
            d.write(ByteBuffer.wrap(image), 0);
        }
        return copy;
    }

    private Check.Result checkImage(URI uri) throws IOException {
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            return CowVolume.check(d, Volumes.SERVICES);
        }
    }

    @Test
    void aConsistentVolumeIsCleanMountedAndNot() throws IOException {
        URI uri = URI.create("mem:check-clean");
        CowVolume v = volumes.fresh(uri, SIZE);
        populate(v);
        Check.Result mounted = v.checkCommitted();
        System.out.println("check: " + mounted.summary());
        assertEquals(List.of(), mounted.problems());
        assertTrue(mounted.clean());
        assertEquals(java.util.Arrays.stream(TreeId.values()).filter(TreeId::required).count(), mounted.trees(),
                "every tree but the optional bitmap and status trees");
        assertEquals(2 * mounted.nodes(), mounted.checksumsVerified(), "both copies of every node (metadata dup)");
        assertTrue(mounted.nodes() >= mounted.trees());
        assertTrue(mounted.extents() >= 40);
        assertEquals(v.core.committed().usedBlocks, mounted.blocksReferenced());
        assertEquals(List.of(), v.audit());
        v.unmount();
        byte[] before = image(uri);
        Check.Result offline = checkImage(uri);
        assertTrue(offline.clean(), offline.problems().toString());
        assertArrayEquals(before, image(uri), "a check changes nothing");
    }

    @Test
    void aDamagedNodeIsOneLineAndTheImageIsLeftAsItWas() throws IOException {
        for (String profile : java.util.List.of("single", "dup")) {
            URI uri = URI.create("mem:check-node-" + profile);
            CowVolume v = volumes.fresh(uri, SIZE,
                    org.cowstack.storage.api.volume.FormatOptions.defaults().metadataProfile(profile));
            populate(v);
            v.unmount();
            byte[] image = image(uri);
            Superblock sb;
            try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
                sb = VolumeFormat.readSuperblock(d, Volumes.SERVICES);
            }
            long node = sb.root(TreeId.BACKREF).block();
            image[(int) (node * B + 2000)] ^= 0x10;
            URI copy = install("check-node-copy-" + profile, image);
            Check.Result r = checkImage(copy);
            System.out.println("check of a damaged node (" + profile + "): " + r.summary() + " " + r.problems());
            assertFalse(r.clean());
            String expected = profile.equals("single")
                    ? "back-reference tree node at block " + node + ": checksum mismatch (its subtree is not checked)"
                    : "back-reference tree node at block " + node + ", copy 1 at block " + node
                            + ": checksum mismatch (the other copy is good)";
            assertTrue(r.problems().contains(expected), r.problems().toString());
            assertTrue(r.problems().stream().noneMatch(p -> p.contains("\n")), "one line each");
            assertArrayEquals(image, image(copy), "a check changes nothing");
            assertEquals((profile.equals("single") ? 1 : 2) * r.nodes() - 1, r.checksumsVerified());
        }
    }

    @Test
    void aRefcountItemDeletedIsReported() throws IOException {
        URI uri = URI.create("mem:check-refcount");
        CowVolume v = volumes.fresh(uri, SIZE);
        populate(v);
        long[] physical = {0};
        v.core.treeLock.changing(() -> {
            BTree fs = v.core.trees.get(TreeId.FS);
            fs.scanAll((k, val) -> {
                if (k.type() == ItemType.EXTENT) {
                    physical[0] = ExtentItem.decode(val).physical();
                    return false;
                }
                return true;
            });
            BTree refs = v.core.trees.get(TreeId.REFCOUNT);
            BTree.Entry e = refs.floor(RefRun.key(physical[0]));
            Key k = e.key();
            assertTrue(refs.delete(k));
        });
        v.sync();
        long generation = v.core.committed().generation;
        Check.Result r = v.checkCommitted();
        System.out.println("check after a refcount item deleted: " + r.summary() + " " + r.problems());
        assertFalse(r.clean());
        assertTrue(r.problems().stream().anyMatch(p -> (p.startsWith("block " + physical[0] + ": ")
                || p.startsWith("blocks " + physical[0] + "..")) && p.contains(": referenced 1x (data of inode ")
                && p.endsWith("counted 0 in the refcount tree")), r.problems().toString());
        assertEquals(generation, v.core.committed().generation, "a check commits nothing");
        v.abandon();
        byte[] before = image(uri);
        assertFalse(checkImage(uri).clean());
        assertArrayEquals(before, image(uri));
    }

    @Test
    void aBackReferenceMissingIsReported() throws IOException {
        URI uri = URI.create("mem:check-backref");
        CowVolume v = volumes.fresh(uri, SIZE);
        populate(v);
        v.core.treeLock.changing(() -> {
            BTree backrefs = v.core.trees.get(TreeId.BACKREF);
            Key[] first = {null};
            backrefs.scanAll((k, val) -> {
                first[0] = k;
                return false;
            });
            assertTrue(backrefs.delete(first[0]));
        });
        v.sync();
        Check.Result r = v.checkCommitted();
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("back reference missing: blocks ")),
                r.problems().toString());
        assertFalse(v.audit().isEmpty(), "the audit sees it too");
        v.abandon();
    }

    @Test
    void aBlockOwnedByANodeAndAFileIsReported() throws IOException {
        URI uri = URI.create("mem:check-twice");
        CowVolume v = volumes.fresh(uri, SIZE);
        populate(v);
        long node = v.core.committed().root(TreeId.CSUM).block();
        long ino;
        try (FileHandle f = v.open("/f2", Volumes.RW)) {
            ino = f.stat().inode();
        }
        v.core.treeLock.changing(() -> v.core.trees.get(TreeId.FS).put(new Key(ino, ItemType.EXTENT, 1000),
                new ExtentItem(node, 1, 0).encode()));
        v.sync();
        Check.Result r = v.checkCommitted();
        assertTrue(r.problems().contains("block " + node + " is owned twice: a node of the csum tree and data of inode "
                + ino), r.problems().toString());
        v.abandon();
    }
}
