package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.function.BiPredicate;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.btree.Node;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.inspect.Check;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What image fuzzing ({@link ImageFuzzTest}) found, one case each: an image with one
 * item changed behind a valid checksum, and the clear error (or the check's report)
 * that the engine now gives instead of a crash, silent loss or a write over a block in use.
 */
class FuzzFindingsTest {
    private static FuzzImage img;

    @BeforeAll
    static void build() throws IOException {
        img = FuzzImage.build("findings", 8L << 20, FormatOptions.SINGLE, 21);
    }

    /** A leaf item of the pristine image: byte offsets of its slot and its value. */
    private record Item(FuzzImage.NodeRef node, Key key, int slot, int value) {
    }

    private static Item find(int type, BiPredicate<Key, ByteBuffer> which) {
        ByteBuffer b = ByteBuffer.wrap(img.pristine).order(ByteOrder.LITTLE_ENDIAN);
        for (FuzzImage.NodeRef n : img.nodes) {
            int base = (int) (n.block() * FuzzImage.B);
            for (int i = 0; n.level() == 0 && i < n.items(); i++) {
                int slot = base + Node.HEADER + i * Node.LEAF_ITEM;
                Key k = Key.read(b, slot);
                int value = base + b.getInt(slot + Key.BYTES);
                if (k.type() == type && which.test(k, b.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(value))) {
                    return new Item(n, k, slot, value);
                }
            }
        }
        throw new AssertionError("no such item");
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void reseal(byte[] image, Item item) {
        ImageMutator.reseal(img.checksum, image, (int) (item.node().block() * FuzzImage.B), img.nodeSize);
    }

    private static FuzzDevice device(byte[] image) {
        return new FuzzDevice(URI.create("fuzz:findings"), image, img.pristine, FuzzImage.B, false);
    }

    private static CowVolume mount(FuzzDevice d) throws IOException {
        return CowVolume.mount("findings", d.uri(), d, Volumes.SERVICES, MountOptions.defaults(), 4 << 20);
    }

    private static BitSet writtenInUse(FuzzDevice d) {
        BitSet changed = d.takeChanged();
        changed.and(img.newest.owned());
        changed.andNot(img.newest.nocow());
        return changed;
    }

    @Test
    void aFreeExtentOverReferencedBlocksOrTheVolumesEndIsRefusedAtMount() throws IOException {
        Item free = find(ItemType.FREE, (k, v) -> k.objectId() > img.firstDataBlock + 8);
        byte[] moved = img.pristine.clone();
        long length = le(moved).getLong(free.value());
        le(moved).putLong(free.slot(), free.key().objectId() - 8).putLong(free.value(), length + 8);
        reseal(moved, free);
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> mount(device(moved)));
        assertTrue(e.getMessage().contains("holds referenced blocks"), e.getMessage());

        byte[] endless = img.pristine.clone();
        le(endless).putLong(free.value(), Long.MAX_VALUE);
        reseal(endless, free);
        e = assertThrows(CorruptImageException.class, () -> mount(device(endless)));
        assertTrue(e.getMessage().contains("outside the volume"), e.getMessage());
        Check.Result r = CowVolume.check(device(endless), Volumes.SERVICES); // was IllegalArgumentException
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("outside the data area")), r.problems().toString());
    }

    @Test
    void aNextInodeNumberBelowAnExistingInodeIsRefusedAtMount() throws IOException {
        byte[] image = img.pristine.clone();
        int sb = (int) img.newestSuperblock();
        le(image).putLong(sb + 112, 300);
        ImageMutator.reseal(img.checksum, image, sb, Superblock.SIZE);
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> mount(device(image)));
        assertTrue(e.getMessage().contains("the next inode number 300 is not above"), e.getMessage());
    }

    @Test
    void aLostDirectoryEntryIsReportedByTheCheck() throws IOException {
        Item entry = find(ItemType.DIR_ENTRY, (k, v) -> true);
        byte[] image = img.pristine.clone();
        int base = (int) (entry.node().block() * FuzzImage.B);
        int count = le(image).getShort(base + 72) & 0xffff;
        int index = (entry.slot() - base - Node.HEADER) / Node.LEAF_ITEM;
        // Drop the item: the slots after it move down (values stay where they are).
        System.arraycopy(image, entry.slot() + Node.LEAF_ITEM, image, entry.slot(),
                (count - index - 1) * Node.LEAF_ITEM);
        le(image).putShort(base + 72, (short) (count - 1));
        reseal(image, entry);
        Check.Result r = CowVolume.check(device(image), Volumes.SERVICES);
        assertFalse(r.clean());
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("has no name")), r.problems().toString());
    }

    @Test
    void anOverwriteInPlaceOntoBlocksAnotherFileMapsIsRefused() throws IOException {
        Item nocow = find(ItemType.EXTENT, (k, v) -> img.newest.nocow().get((int) v.getLong(v.position())));
        long other = img.extents.stream().filter(x -> !img.newest.nocow().get((int) x[0])).findFirst().orElseThrow()[0];
        byte[] image = img.pristine.clone();
        le(image).putLong(nocow.value(), other);
        reseal(image, nocow);
        FuzzDevice d = device(image);
        CowVolume v = mount(d);
        try {
            CorruptImageException e = assertThrows(CorruptImageException.class,
                    () -> Volumes.write(v, "/nocow", 0, new byte[FuzzImage.B]));
            assertTrue(e.getMessage().contains("maps it too"), e.getMessage());
        } finally {
            v.abandon();
        }
        assertTrue(writtenInUse(d).isEmpty(), "no write over a block in use: " + writtenInUse(d));
    }

    @Test
    void aSharedRunCountedOnceIsNotFreedWhileTheOtherFileMapsIt() throws IOException {
        Item shared = find(ItemType.REFCOUNT, (k, v) -> v.getInt(v.position() + 8) == 2);
        byte[] image = img.pristine.clone();
        le(image).putInt(shared.value() + 8, 1);
        reseal(image, shared);
        FuzzDevice d = device(image);
        CowVolume v = mount(d);
        try {
            byte[] clone = Volumes.readAll(v, "/clone");
            assertArrayEquals(img.newest.files().get("/clone"), clone);
            // Overwrite every sharer but /clone (copy on write), then let a second commit take freed blocks.
            IOException e = assertThrows(IOException.class, () -> {
                for (String f : new String[] {"/big", "/dedupe"}) {
                    Volumes.write(v, f, 0, new byte[Math.min(img.newest.files().get(f).length, 80 * 4096)]);
                }
                v.sync();
                for (int i = 0; i < 16; i++) {
                    Volumes.write(v, "/more" + i, 0, new byte[4096]);
                }
                v.sync();
            });
            assertTrue(e.getMessage().contains("still maps block"), e.getMessage());
        } finally {
            v.abandon();
        }
        assertTrue(writtenInUse(d).isEmpty(), "no write over a block in use: " + writtenInUse(d));
    }

    /** Under dup metadata: a root whose second copy names another node's block must not free that block. */
    @Test
    void aSecondCopyPointerToAnotherNodeIsRefusedBeforeItIsFreed() throws IOException {
        FuzzImage dup = FuzzImage.build("findings-dup", 8L << 20, FormatOptions.DUP, 22);
        byte[] image = dup.pristine.clone();
        int sb = (int) dup.newestSuperblock();
        FuzzImage.NodeRef fsRoot = dup.nodes.stream().filter(n -> n.tree() == org.cowstack.storage.cow.format.TreeId.FS
                && n.parent() < 0).findFirst().orElseThrow();
        FuzzImage.NodeRef other = dup.nodes.stream().filter(n -> n.tree() != fsRoot.tree()).findFirst().orElseThrow();
        int rows = le(image).getShort(sb + 54) & 0xffff;
        for (int row = sb + 384; row < sb + 384 + rows * 32; row += 32) {
            if (le(image).getLong(row + 8) == fsRoot.block()) {
                le(image).putLong(row + 24, other.block());
            }
        }
        ImageMutator.reseal(dup.checksum, image, sb, Superblock.SIZE);
        FuzzDevice d = new FuzzDevice(URI.create("fuzz:findings-dup"), image, dup.pristine, FuzzImage.B, false);
        CowVolume v = mount(d);
        try {
            IOException e = assertThrows(IOException.class, () -> {
                Volumes.write(v, "/new", 0, new byte[100]); // copies the fs root, which frees it and its copy
                v.sync();
            });
            assertTrue(e.getMessage().contains("as its second copy, which holds another node"), e.getMessage());
        } finally {
            v.abandon();
        }
        BitSet changed = d.takeChanged();
        changed.and(dup.newest.owned());
        assertTrue(changed.isEmpty(), "no write over a block in use: " + changed);
    }

    @Test
    void anExtentWhoseSecondCopyEndsPastTheLongRangeIsReportedNotThrown() throws IOException {
        Item extent = find(ItemType.EXTENT, (k, v) -> true);
        byte[] image = img.pristine.clone();
        le(image).putLong(extent.value() + 17, Long.MAX_VALUE);
        reseal(image, extent);
        Check.Result r = CowVolume.check(device(image), Volumes.SERVICES); // was IllegalArgumentException
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("extent " + Long.MAX_VALUE) || p.contains("second copy")),
                r.problems().toString());
    }
}
