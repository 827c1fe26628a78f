package org.cowstack.storage.cow.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.cow.btree.Node;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.Superblock;

/**
 * One mutation of a copy of a {@link FuzzImage} per call: bit flips, truncation, garbage
 * blocks, and content changed behind a valid checksum ("resealed"): a node or the
 * superblock decoded by its documented layout, one field changed, and its digest
 * computed again, so that only the engine's structural checks can tell.
 */
final class ImageMutator {
    /** Node header fields (see {@code NodeCodec}). */
    private static final int UUID_AT = 32;
    private static final int BLOCK_AT = 48;
    private static final int GENERATION_AT = 56;
    private static final int OWNER_AT = 64;
    private static final int LEVEL_AT = 68;
    private static final int COUNT_AT = 72;

    /**
     * One case: its kind (the counter it goes to), what exactly was changed, the image,
     * and whether the change may leave a volume the format allows that holds other file
     * contents (a file size, a name, a file offset: nothing any check can know is wrong).
     */
    record Mutation(String kind, String detail, byte[] image, boolean mayChangeContent, long newestAs) {
        Mutation(String kind, String detail, byte[] image, boolean mayChangeContent) {
            this(kind, detail, image, mayChangeContent, 0);
        }
    }

    private final FuzzImage img;
    private final Random r;

    ImageMutator(FuzzImage img, Random r) {
        this.img = img;
        this.r = r;
    }

    Mutation next() {
        int roll = r.nextInt(100);
        if (roll < 8) {
            return bitflipSuperblock();
        } else if (roll < 20) {
            return bitflipNode();
        } else if (roll < 25) {
            return truncate();
        } else if (roll < 32) {
            return garbage();
        } else if (roll < 45) {
            return resealSuperblock();
        } else {
            return resealNode();
        }
    }

    // ------------------------------------------------------------------ raw

    private byte[] copy() {
        return img.pristine.clone();
    }

    private static ByteBuffer le(byte[] image) {
        return ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Computes the digest of the node or superblock at {@code at} again (bytes [32, size) into [0, 32)). */
    private void reseal(byte[] image, int at, int size) {
        reseal(img.checksum, image, at, size);
    }

    static void reseal(org.cowstack.storage.api.csum.ChecksumAlgorithm checksum, byte[] image, int at, int size) {
        byte[] digest = new byte[32];
        checksum.digest(ByteBuffer.wrap(image, at + 32, size - 32), digest, 0);
        System.arraycopy(digest, 0, image, at, 32);
    }

    private FuzzImage.NodeRef anyNode() {
        return img.nodes.get(r.nextInt(img.nodes.size()));
    }

    private FuzzImage.NodeRef node(boolean leaf) {
        for (int tries = 0; tries < 1000; tries++) {
            FuzzImage.NodeRef n = anyNode();
            if ((n.level() == 0) == leaf) {
                return n;
            }
        }
        return anyNode();
    }

    private FuzzImage.NodeRef leafOf(int type) {
        List<FuzzImage.NodeRef> leaves = img.nodes.stream().filter(n -> n.level() == 0).toList();
        for (int tries = 0; tries < 1000; tries++) {
            FuzzImage.NodeRef n = leaves.get(r.nextInt(leaves.size()));
            if (itemOf(n, type) >= 0) {
                return n;
            }
        }
        return null;
    }

    /** A random item of {@code type} in leaf {@code n}, or -1. */
    private int itemOf(FuzzImage.NodeRef n, int type) {
        ByteBuffer b = le(img.pristine);
        int base = (int) (n.block() * FuzzImage.B);
        int count = b.getShort(base + COUNT_AT) & 0xffff;
        int start = count == 0 ? 0 : r.nextInt(count);
        for (int k = 0; k < count; k++) {
            int i = (start + k) % count;
            if ((b.get(base + Node.HEADER + i * Node.LEAF_ITEM + 8) & 0xff) == type) {
                return i;
            }
        }
        return -1;
    }

    private long pick(long... values) {
        return values[r.nextInt(values.length)];
    }

    /** A block number the volume must not use as that: past the end, negative, huge, in the reserved area. */
    private long badBlock() {
        return pick(img.totalBlocks, img.totalBlocks + 1, img.totalBlocks - 1, img.pristine.length / FuzzImage.B + 7,
                -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE / FuzzImage.B + 1, 0, 1, 16, 32,
                img.firstDataBlock - 1, 1L << 40);
    }

    // ------------------------------------------------------------------ bit flips, truncation, garbage

    private Mutation bitflipSuperblock() {
        byte[] image = copy();
        long slot = r.nextInt(4) == 0 ? Superblock.OFFSETS[r.nextInt(2)] : img.newestSuperblock();
        int at = (int) slot + r.nextInt(Superblock.SIZE);
        int bit = r.nextInt(8);
        image[at] ^= (byte) (1 << bit);
        return new Mutation("bitflip-superblock", "bit " + bit + " of byte " + at, image, false);
    }

    private Mutation bitflipNode() {
        byte[] image = copy();
        FuzzImage.NodeRef n = anyNode();
        int off = r.nextInt(img.nodeSize);
        int bit = r.nextInt(8);
        image[(int) (n.block() * FuzzImage.B) + off] ^= (byte) (1 << bit);
        String both = "";
        if (n.mirror() != 0 && r.nextBoolean()) {
            image[(int) (n.mirror() * FuzzImage.B) + off] ^= (byte) (1 << bit);
            both = " and its second copy at " + n.mirror();
        }
        return new Mutation("bitflip-node", n.tree() + " node " + n.block() + both + ": bit " + bit + " of byte "
                + off, image, false);
    }

    private Mutation truncate() {
        int sectors = img.pristine.length / 512;
        int keep = switch (r.nextInt(4)) {
            case 0 -> r.nextInt(Math.max(1, (int) (Superblock.RESERVED_BYTES / 512)));
            case 1 -> sectors - 1 - r.nextInt(8);
            default -> r.nextInt(sectors);
        };
        keep = Math.max(1, keep);
        return new Mutation("truncate", "to " + keep * 512L + " of " + img.pristine.length + " bytes",
                java.util.Arrays.copyOf(img.pristine, keep * 512), false);
    }

    private Mutation garbage() {
        byte[] image = copy();
        int choice = r.nextInt(5);
        long at;
        String what;
        if (choice == 0) {
            at = img.newestSuperblock();
            what = "the newest superblock";
        } else if (choice == 1) {
            at = (img.firstDataBlock + r.nextInt((int) (img.totalBlocks - img.firstDataBlock))) * FuzzImage.B;
            what = "block " + at / FuzzImage.B;
        } else {
            FuzzImage.NodeRef n = anyNode();
            at = n.block() * FuzzImage.B;
            what = n.tree() + " node " + n.block();
        }
        int fill = r.nextInt(4);
        byte[] block = new byte[FuzzImage.B];
        if (fill == 0) {
            r.nextBytes(block);
            what += " (random bytes)";
        } else if (fill == 1) {
            what += " (zeros)";
        } else if (fill == 2) {
            FuzzImage.NodeRef other = anyNode();
            System.arraycopy(img.pristine, (int) (other.block() * FuzzImage.B), block, 0, FuzzImage.B);
            what += " (a copy of " + other.tree() + " node " + other.block() + ")";
        } else {
            java.util.Arrays.fill(block, (byte) 0xff);
            what += " (0xff)";
        }
        System.arraycopy(block, 0, image, (int) at, FuzzImage.B);
        return new Mutation("garbage", what, image, false);
    }

    // ------------------------------------------------------------------ resealed superblock

    private Mutation resealSuperblock() {
        byte[] image = copy();
        int sb = (int) img.newestSuperblock();
        ByteBuffer b = le(image);
        int rows = b.getShort(sb + 54) & 0xffff;
        int row = sb + 384 + r.nextInt(Math.max(1, rows)) * 32;
        long total = img.totalBlocks;
        String field;
        String kind = "resealed-superblock";
        boolean content = false;
        switch (r.nextInt(16)) {
            case 0 -> {
                long v = r.nextBoolean() ? badBlock() : anyNode().block();
                b.putLong(row + 8, v);
                field = "root block of row " + (row - sb - 384) / 32 + " = " + v;
                kind = "resealed-root-pointer";
            }
            case 1 -> {
                int v = (int) pick(0, 1, 2, 15, 16, 17, 255, (b.get(row + 2) & 0xff) + 1, (b.get(row + 2) & 0xff) - 1);
                b.put(row + 2, (byte) v);
                field = "root level of row " + (row - sb - 384) / 32 + " = " + (v & 0xff);
                kind = "resealed-root-pointer";
            }
            case 2 -> {
                long g = b.getLong(row + 16);
                long v = pick(0, -1, g + 1, g - 1, Long.MAX_VALUE);
                b.putLong(row + 16, v);
                field = "root generation of row " + (row - sb - 384) / 32 + " = " + v;
                kind = "resealed-root-pointer";
            }
            case 3 -> {
                long v = r.nextBoolean() ? badBlock() : anyNode().block();
                b.putLong(row + 24, v);
                field = "root mirror of row " + (row - sb - 384) / 32 + " = " + v;
                kind = "resealed-root-pointer";
            }
            case 4 -> {
                long g = b.getLong(sb + 96);
                long v = pick(0, -1, g + 1, g + 2, g - 2, 1, Long.MAX_VALUE, Long.MIN_VALUE);
                b.putLong(sb + 96, v);
                reseal(image, sb, Superblock.SIZE);
                return new Mutation(kind, "newest superblock: generation = " + v, image, false, v);
            }
            case 5 -> {
                int v = (int) pick(0, 256, 511, 1024, 2048, 8192, 65536, 1 << 17, -4096, 4097);
                b.putInt(sb + 48, v);
                field = "block size = " + v;
            }
            case 6 -> {
                long v = pick(0, -1, img.firstDataBlock, img.firstDataBlock + 1, total - 1, total + 1, total * 2,
                        Long.MAX_VALUE, Long.MAX_VALUE / 4096, total / 2);
                b.putLong(sb + 104, v);
                field = "total blocks = " + v;
            }
            case 7 -> {
                long n = b.getLong(sb + 112);
                long v = pick(0, -1, 1, 2, 3, 100, n - 1, Long.MAX_VALUE, Long.MIN_VALUE);
                b.putLong(sb + 112, v);
                field = "next inode = " + v;
            }
            case 8 -> {
                long u = b.getLong(sb + 120);
                long v = pick(-1, 0, u + 1, u - 1, total, total + 1, Long.MAX_VALUE);
                b.putLong(sb + 120, v);
                field = "used blocks = " + v;
            }
            case 9 -> {
                int v = (int) pick(256, 0xffff, 300, 0);
                b.putShort(sb + 46, (short) v);
                field = "label length = " + v;
            }
            case 10 -> {
                int v = (int) pick(0, rows - 1, rows + 1, 64, 65, 0xffff, 100);
                b.putShort(sb + 54, (short) v);
                field = "root table rows = " + v;
            }
            case 11 -> {
                int v = (int) pick(0, 2, 3, 4, 999, 0xffff);
                b.putShort(sb + 44, (short) v);
                field = "checksum id = " + v;
            }
            case 12 -> {
                int v = (int) pick(0, 1, 2, 4, -1);
                b.putInt(sb + 40, v);
                field = "format version = " + v;
            }
            case 13 -> {
                int at = (int) pick(56, 64, 72);
                long v = 1L << r.nextInt(64);
                b.putLong(sb + at, b.getLong(sb + at) | v);
                field = "feature word at " + at + " |= 0x" + Long.toHexString(v);
                content = true; // a compatible feature: the volume is the same
            }
            case 14 -> {
                int other = sb + 384 + r.nextInt(Math.max(1, rows)) * 32;
                b.putShort(row, b.getShort(other));
                field = "row " + (row - sb - 384) / 32 + " names the tree of row " + (other - sb - 384) / 32;
                kind = "resealed-root-pointer";
            }
            default -> {
                int v = (int) pick(0, 3, 4, 200, 255);
                b.put(sb + (r.nextBoolean() ? 52 : 53), (byte) v);
                field = "profile byte = " + v;
            }
        }
        reseal(image, sb, Superblock.SIZE);
        return new Mutation(kind, "newest superblock: " + field, image, content);
    }

    // ------------------------------------------------------------------ resealed nodes

    private Mutation resealNode() {
        int roll = r.nextInt(100);
        if (roll < 12) {
            return header();
        } else if (roll < 24) {
            return keys();
        } else if (roll < 34) {
            return leafSlots();
        } else if (roll < 52) {
            return childPointer();
        } else if (roll < 58) {
            return targeted();
        } else {
            return typed();
        }
    }

    private Mutation sealed(String kind, FuzzImage.NodeRef n, String what, byte[] image, boolean content) {
        reseal(image, (int) (n.block() * FuzzImage.B), img.nodeSize);
        return new Mutation(kind, n.tree() + " node " + n.block() + " (level " + n.level() + "): " + what, image,
                content);
    }

    private Mutation header() {
        byte[] image = copy();
        FuzzImage.NodeRef n = anyNode();
        ByteBuffer b = le(image);
        int base = (int) (n.block() * FuzzImage.B);
        int items = n.level() == 0 ? Node.LEAF_ITEM : Node.INTERNAL_ITEM;
        int count = b.getShort(base + COUNT_AT) & 0xffff;
        String what;
        String kind = "resealed-header";
        switch (r.nextInt(8)) {
            case 0 -> {
                int v = (int) pick(0xffff, 0x8000, (img.nodeSize - Node.HEADER) / items + 1, count + 1, 0,
                        Math.max(0, count - 1));
                b.putShort(base + COUNT_AT, (short) v);
                what = "item count " + count + " -> " + v;
                kind = "resealed-counts";
            }
            case 1 -> {
                int v = (int) pick(n.level() + 1, n.level() - 1, 255, 16, 17);
                b.put(base + LEVEL_AT, (byte) v);
                what = "level -> " + (v & 0xff);
            }
            case 2 -> {
                long v = pick(n.generation() + 1, n.generation() - 1, 0, -1);
                b.putLong(base + GENERATION_AT, v);
                what = "generation -> " + v;
            }
            case 3 -> {
                int v = (int) pick(0, 1, 2, 5, 7, 10, 12, 13, 14, 99);
                b.putInt(base + OWNER_AT, v);
                what = "owner -> " + v;
            }
            case 4 -> {
                long v = pick(n.block() + 1, 0, -1, anyNode().block());
                b.putLong(base + BLOCK_AT, v);
                what = "block number -> " + v;
            }
            case 5 -> {
                b.putLong(base + UUID_AT, r.nextLong());
                what = "uuid";
            }
            case 6 -> {
                int at = base + 69 + r.nextInt(3);
                b.put(at, (byte) (1 + r.nextInt(255)));
                what = "reserved header byte " + (at - base);
                return sealed(kind, n, what, image, true);
            }
            default -> {
                int at = base + Node.HEADER + count * items + r.nextInt(Math.max(1, img.nodeSize / 4));
                if (at >= base + img.nodeSize) {
                    at = base + img.nodeSize - 1;
                }
                b.put(at, (byte) r.nextInt(256));
                what = "a byte after the item slots at " + (at - base);
                return sealed("resealed-garbage", n, what, image, true);
            }
        }
        return sealed(kind, n, what, image, false);
    }

    private Mutation keys() {
        byte[] image = copy();
        FuzzImage.NodeRef n = anyNode();
        ByteBuffer b = le(image);
        int base = (int) (n.block() * FuzzImage.B);
        int items = n.level() == 0 ? Node.LEAF_ITEM : Node.INTERNAL_ITEM;
        int count = b.getShort(base + COUNT_AT) & 0xffff;
        if (count < 2) {
            return header();
        }
        int i = r.nextInt(count - 1);
        int a = base + Node.HEADER + i * items;
        int c = a + items;
        String what;
        String kind;
        boolean content = false;
        switch (r.nextInt(5)) {
            case 0 -> {
                byte[] ka = new byte[Key.BYTES];
                byte[] kc = new byte[Key.BYTES];
                System.arraycopy(image, a, ka, 0, Key.BYTES);
                System.arraycopy(image, c, kc, 0, Key.BYTES);
                System.arraycopy(kc, 0, image, a, Key.BYTES);
                System.arraycopy(ka, 0, image, c, Key.BYTES);
                what = "keys of items " + i + " and " + (i + 1) + " swapped";
                kind = "resealed-key-order";
            }
            case 1 -> {
                System.arraycopy(image, a, image, c, Key.BYTES);
                what = "item " + (i + 1) + " has the key of item " + i;
                kind = "resealed-duplicate-key";
            }
            case 2 -> {
                int v = r.nextInt(256);
                b.put(a + 8, (byte) v);
                what = "item " + i + " type -> " + v;
                kind = "resealed-key";
                content = true;
            }
            case 3 -> {
                long v = b.getLong(a) + pick(1, -1, 1000, Long.MIN_VALUE / 2);
                b.putLong(a, v);
                what = "item " + i + " object id -> " + v;
                kind = "resealed-key";
                content = true;
            }
            default -> {
                long v = b.getLong(a + 9) + pick(1, -1, 1000, Long.MAX_VALUE / 2);
                b.putLong(a + 9, v);
                what = "item " + i + " offset -> " + v;
                kind = "resealed-key";
                content = true;
            }
        }
        return sealed(kind, n, what, image, content);
    }

    private Mutation leafSlots() {
        byte[] image = copy();
        FuzzImage.NodeRef n = node(true);
        ByteBuffer b = le(image);
        int base = (int) (n.block() * FuzzImage.B);
        int count = b.getShort(base + COUNT_AT) & 0xffff;
        if (count == 0 || n.level() != 0) {
            return header();
        }
        int i = r.nextInt(count);
        int slot = base + Node.HEADER + i * Node.LEAF_ITEM + Key.BYTES;
        int off = b.getInt(slot);
        int len = b.getInt(slot + 4);
        String what;
        if (r.nextBoolean()) {
            int v = (int) pick(-1, 0, Node.HEADER, Node.HEADER + count * Node.LEAF_ITEM - 1, img.nodeSize,
                    img.nodeSize - len + 1, Integer.MAX_VALUE, Integer.MIN_VALUE, off - 1, off + 1);
            b.putInt(slot, v);
            what = "item " + i + " value offset " + off + " -> " + v;
        } else {
            int v = (int) pick(-1, 0, len + 1, len - 1, img.nodeSize, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 20);
            b.putInt(slot + 4, v);
            what = "item " + i + " value length " + len + " -> " + v;
        }
        return sealed("resealed-item-slot", n, what, image, false);
    }

    private Mutation childPointer() {
        byte[] image = copy();
        FuzzImage.NodeRef n = node(false);
        if (n.level() == 0) {
            return header();
        }
        ByteBuffer b = le(image);
        int base = (int) (n.block() * FuzzImage.B);
        int count = b.getShort(base + COUNT_AT) & 0xffff;
        int i = r.nextInt(count);
        int slot = base + Node.HEADER + i * Node.INTERNAL_ITEM + Key.BYTES;
        String what;
        String kind;
        switch (r.nextInt(8)) {
            case 0 -> {
                // A cycle: the child is the node itself or an ancestor, with that node's generation.
                long target = n.block();
                long gen = n.generation();
                String whom = "itself";
                if (n.parent() >= 0 && r.nextBoolean()) {
                    FuzzImage.NodeRef p = find(n.parent());
                    target = p.block();
                    gen = p.generation();
                    whom = "its parent " + target;
                }
                b.putLong(slot, target);
                b.putLong(slot + 8, gen);
                what = "child " + i + " points back at " + whom;
                kind = "resealed-cycle";
            }
            case 1, 2 -> {
                long v = badBlock();
                b.putLong(slot, v);
                what = "child " + i + " block -> " + v;
                kind = "resealed-out-of-range";
            }
            case 3 -> {
                int j = r.nextInt(count);
                int other = base + Node.HEADER + j * Node.INTERNAL_ITEM + Key.BYTES;
                b.putLong(slot, b.getLong(other));
                b.putLong(slot + 8, b.getLong(other + 8));
                b.putLong(slot + 16, b.getLong(other + 16));
                what = "child " + i + " points at child " + j + "'s node";
                kind = "resealed-shared-child";
            }
            case 4 -> {
                FuzzImage.NodeRef o = anyNode();
                b.putLong(slot, o.block());
                b.putLong(slot + 8, o.generation());
                b.putLong(slot + 16, o.mirror());
                what = "child " + i + " -> " + o.tree() + " node " + o.block() + " (level " + o.level() + ")";
                kind = "resealed-shared-child";
            }
            case 5 -> {
                long[] e = img.extents.get(r.nextInt(img.extents.size()));
                b.putLong(slot, e[0]);
                what = "child " + i + " -> data block " + e[0];
                kind = "resealed-out-of-range";
            }
            case 6 -> {
                long g = b.getLong(slot + 8);
                long v = pick(g + 1, g - 1, 0, -1, Long.MAX_VALUE);
                b.putLong(slot + 8, v);
                what = "child " + i + " generation -> " + v;
                kind = "resealed-child-generation";
            }
            default -> {
                long v = r.nextBoolean() ? badBlock() : img.extents.get(r.nextInt(img.extents.size()))[0];
                b.putLong(slot + 16, v);
                what = "child " + i + " mirror -> " + v;
                kind = "resealed-out-of-range";
            }
        }
        return sealed(kind, n, what, image, false);
    }

    /**
     * Mutations aimed at what the case's writes then do: an extent of the NOCOW file
     * (overwritten in place) moved onto blocks another file or a node owns, and a shared
     * run's count lowered (the copy-on-write overwrite of one sharer then frees blocks
     * the other still maps).
     */
    private Mutation targeted() {
        byte[] image = copy();
        ByteBuffer b = le(image);
        boolean nocow = r.nextBoolean();
        List<int[]> candidates = new java.util.ArrayList<>(); // {node index, item offset}
        for (int x = 0; x < img.nodes.size(); x++) {
            FuzzImage.NodeRef n = img.nodes.get(x);
            if (n.level() != 0) {
                continue;
            }
            int base = (int) (n.block() * FuzzImage.B);
            int count = b.getShort(base + COUNT_AT) & 0xffff;
            for (int i = 0; i < count; i++) {
                int item = base + Node.HEADER + i * Node.LEAF_ITEM;
                int type = b.get(item + 8) & 0xff;
                int v = base + b.getInt(item + Key.BYTES);
                if (nocow ? type == ItemType.EXTENT && img.newest.nocow().get((int) b.getLong(v))
                        : type == ItemType.REFCOUNT && b.getInt(v + 8) > 1) {
                    candidates.add(new int[] {x, item});
                }
            }
        }
        if (candidates.isEmpty()) {
            return typed();
        }
        int[] c = candidates.get(r.nextInt(candidates.size()));
        FuzzImage.NodeRef n = img.nodes.get(c[0]);
        Key key = Key.read(b, c[1]);
        int v = (int) (n.block() * FuzzImage.B) + b.getInt(c[1] + Key.BYTES);
        if (nocow) {
            long target;
            String whom;
            if (r.nextBoolean()) {
                long[] o = img.extents.get(r.nextInt(img.extents.size()));
                target = o[0];
                whom = "another extent's block " + target;
            } else {
                FuzzImage.NodeRef o = anyNode();
                target = o.block();
                whom = o.tree() + " node " + o.block();
            }
            b.putLong(v, target);
            return sealed("resealed-nocow-extent", n, key + " of the NOCOW file: physical -> " + whom, image, false);
        }
        int count = b.getInt(v + 8);
        b.putInt(v + 8, count - 1);
        return sealed("resealed-shared-refcount", n, key + ": count " + count + " -> " + (count - 1), image, false);
    }

    private FuzzImage.NodeRef find(long block) {
        return img.nodes.stream().filter(x -> x.block() == block).findFirst().orElseThrow();
    }

    /** A value of one item type changed to what that type must not hold (or may: then the content may differ). */
    private Mutation typed() {
        int[] types = {ItemType.EXTENT, ItemType.EXTENT, ItemType.INODE, ItemType.REFCOUNT, ItemType.REFCOUNT,
            ItemType.FREE, ItemType.FREE, ItemType.CSUM, ItemType.DIR_ENTRY, ItemType.BACKREF, ItemType.BITMAP};
        int type = types[r.nextInt(types.length)];
        FuzzImage.NodeRef n = leafOf(type);
        if (n == null) {
            return header();
        }
        byte[] image = copy();
        ByteBuffer b = le(image);
        int base = (int) (n.block() * FuzzImage.B);
        int i = itemOf(n, type);
        int item = base + Node.HEADER + i * Node.LEAF_ITEM;
        Key key = Key.read(b, item);
        int v = base + b.getInt(item + Key.BYTES);
        int len = b.getInt(item + Key.BYTES + 4);
        String what = key + ": ";
        String kind;
        boolean content = false;
        switch (type) {
            case ItemType.EXTENT -> {
                kind = "resealed-extent";
                long physical = b.getLong(v);
                long blocks = b.getLong(v + 8);
                switch (r.nextInt(6)) {
                    case 0 -> {
                        long x = r.nextBoolean() ? badBlock() : physical + pick(1, -1, blocks);
                        b.putLong(v, x);
                        what += "physical " + physical + " -> " + x;
                        kind = "resealed-overlapping-extent";
                    }
                    case 1 -> {
                        long[] o = img.extents.get(r.nextInt(img.extents.size()));
                        long x = o[0] + (o[1] > 1 ? r.nextInt((int) Math.min(o[1], 1000)) : 0);
                        b.putLong(v, x);
                        what += "physical " + physical + " -> " + x + " (another extent's)";
                        kind = "resealed-overlapping-extent";
                    }
                    case 2 -> {
                        FuzzImage.NodeRef o = anyNode();
                        b.putLong(v, o.block());
                        what += "physical " + physical + " -> " + o.tree() + " node " + o.block();
                        kind = "resealed-overlapping-extent";
                    }
                    case 3 -> {
                        long x = pick(0, -1, blocks + 1, blocks + 100, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE,
                                img.totalBlocks, blocks - 1);
                        b.putLong(v + 8, x);
                        what += "blocks " + blocks + " -> " + x;
                        kind = "resealed-extent-length";
                    }
                    case 4 -> {
                        int x = (int) pick(1, 2, 3, 4, 0x80, 0xff);
                        b.put(v + 16, (byte) x);
                        what += "flags -> " + x;
                        content = true; // unwritten reads zeros, nodatasum is not checked: both allowed
                    }
                    default -> {
                        long x = r.nextBoolean() ? badBlock() : img.extents.get(r.nextInt(img.extents.size()))[0];
                        b.putLong(v + 17, x);
                        what += "mirror -> " + x;
                    }
                }
            }
            case ItemType.INODE -> {
                kind = "resealed-inode";
                switch (r.nextInt(5)) {
                    case 0 -> {
                        long x = pick(-1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 50, 1L << 31, b.getLong(v + 8) + 1);
                        b.putLong(v + 8, x);
                        what += "size -> " + x;
                        kind = "resealed-inode-size";
                        content = x >= 0;
                    }
                    case 1 -> {
                        int x = (int) pick(0, 3, -1, 1, 2);
                        b.putInt(v, x);
                        what += "type -> " + x;
                    }
                    case 2 -> {
                        long x = pick(0, -1, 1, 2, Long.MAX_VALUE, key.objectId());
                        b.putLong(v + 16, x);
                        what += "parent -> " + x;
                    }
                    case 3 -> {
                        long x = pick(0, -1, Long.MAX_VALUE, 1);
                        b.putLong(v + 56, x);
                        what += "allocated -> " + x;
                    }
                    default -> {
                        int x = (int) pick(1, 2, 3, 0xff, -1);
                        b.putInt(v + 4, x);
                        what += "flags -> " + x;
                        content = true;
                    }
                }
            }
            case ItemType.REFCOUNT -> {
                kind = "resealed-refcount";
                long blocks = b.getLong(v);
                int count = b.getInt(v + 8);
                if (r.nextBoolean()) {
                    int x = (int) pick(0, -1, count + 1, count - 1, Integer.MAX_VALUE, Integer.MIN_VALUE);
                    b.putInt(v + 8, x);
                    what += "count " + count + " -> " + x;
                } else {
                    long x = pick(0, -1, blocks + 1, blocks - 1, blocks + 64, Long.MAX_VALUE, img.totalBlocks);
                    b.putLong(v, x);
                    what += "blocks " + blocks + " -> " + x;
                }
            }
            case ItemType.FREE -> {
                kind = "resealed-free-space";
                long length = b.getLong(v);
                if (r.nextInt(3) > 0) {
                    long x = pick(0, -1, length + 1, length + 8, length - 1, Long.MAX_VALUE, img.totalBlocks);
                    b.putLong(v, x);
                    what += "length " + length + " -> " + x;
                } else {
                    long x = key.objectId() - pick(1, 8, 64, key.objectId() - img.firstDataBlock);
                    b.putLong(item, x);
                    b.putLong(v, length + key.objectId() - x);
                    what += "moved to start at " + x + " (the same end)";
                }
            }
            case ItemType.CSUM -> {
                kind = "resealed-checksum";
                int at = v + r.nextInt(Math.max(1, len));
                b.put(at, (byte) ~b.get(at));
                what += "digest byte " + (at - v) + " inverted";
            }
            default -> {
                kind = "resealed-value-garbage";
                int at = v + r.nextInt(Math.max(1, len));
                b.put(at, (byte) r.nextInt(256));
                what += "value byte " + (at - v) + " changed";
                content = type == ItemType.DIR_ENTRY || type == ItemType.BITMAP;
            }
        }
        return sealed(kind, n, what, image, content);
    }
}
