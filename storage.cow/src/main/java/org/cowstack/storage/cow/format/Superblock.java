package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.IntFunction;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;

/**
 * The superblock: identity, geometry, profiles, generation and the root table of a
 * volume, with its own checksum. Two copies live at fixed offsets; generation {@code g}
 * is written to slot {@code g % 2}, so a torn superblock write always leaves the
 * previous one intact, and mount takes the newest copy that verifies.
 *
 * <p>The <em>root table</em> names every tree by its id ({@link TreeId}) with its root
 * block, generation and level, so a later format adds a tree (dirty bitmaps, back
 * references) by adding a row and a feature bit, not by moving fields. A row whose id
 * this engine does not know is kept as it is and written back unchanged; the feature
 * bits decide whether such a volume may be mounted at all.
 *
 * <pre>
 * offset size
 *    0   32  digest of bytes [32, 4096) in the volume's algorithm (zero-padded)
 *   32    8  magic "_CoWStk_"
 *   40    4  format version ({@value #VERSION})
 *   44    2  checksum algorithm id
 *   46    2  label length
 *   48    4  block size
 *   52    1  data profile      ({@link Profile} code)
 *   53    1  metadata profile
 *   54    2  rows in the root table
 *   56    8  incompatible features   (a set bit this engine does not know: refuse to mount)
 *   64    8  compatible features     (unknown ones are ignored)
 *   72    8  read-only compatible    (unknown ones: mount read-only only)
 *   80   16  uuid
 *   96    8  generation
 *  104    8  total blocks
 *  112    8  next inode number
 *  120    8  used blocks
 *  128  255  label, UTF-8
 *  384   32  per root-table row: tree id u16, level u8, 5 zero bytes, block u64, generation u64,
 *            mirror u64 (the root node's second copy under the {@code dup} metadata profile, else 0)
 * </pre>
 */
public final class Superblock {
    public static final int SIZE = 4096;
    /** Byte offsets of the two copies. */
    public static final long[] OFFSETS = {64L << 10, 128L << 10};
    /** Bytes at the start of the device that are never allocated: the superblocks and the 64 KiB before them. */
    public static final long RESERVED_BYTES = 256L << 10;
    public static final long MAGIC = 0x5F6B7453576F435FL; // "_CoWStk_" read little-endian
    /**
     * The format this engine writes and reads. 1: four fixed root slots (refused: no
     * engine in the field wrote volumes worth converting). 2: the root table and the
     * profile bytes. 3: the {@code dup} profiles (a second copy of every node, named by
     * its parent's pointer and the root row; of every data extent, named by its extent
     * item) and the back-reference tree.
     */
    public static final int VERSION = 3;
    public static final long INCOMPAT_SUPPORTED = 0;
    /**
     * The volume has a bitmap tree: an engine that does not know it must not change the
     * volume's files (its bitmaps would miss the changes), so it may mount it read-only only.
     */
    public static final long COMPAT_RO_BITMAPS = 1L;
    public static final long COMPAT_RO_SUPPORTED = COMPAT_RO_BITMAPS;
    /**
     * Compatible feature: qemu-mode dirty bitmaps are loaded writable (qemu's IN_USE). Set
     * by the commit that makes the volume writable with such bitmaps, cleared by the one
     * that stores them (a clean unmount, a remount read-only): found set at mount, the
     * volume was not shut down cleanly and those bitmaps are inconsistent.
     */
    public static final long COMPAT_BITMAPS_IN_USE = 1L;
    /** Deeper trees than this are corruption, not data: it bounds every descent. */
    public static final int MAX_LEVEL = 16;
    /**
     * Generations above this are corruption: a commit a second for a billion years stays
     * below it, and the generations after it still do not overflow.
     */
    public static final long MAX_GENERATION = 1L << 62;
    /** Inode numbers fit 48 bits (a back reference's key holds one beside a chunk number). */
    public static final long MAX_INODE = (1L << 48) - 1;
    /** Most rows the root table may have. */
    public static final int MAX_ROOTS = 64;

    private static final int LABEL_AT = 128;
    private static final int MAX_LABEL = 255;
    private static final int ROOTS_AT = 384;
    private static final int ROOT_BYTES = 32;

    /** Where a tree's root is: its block, and its second copy's ({@code 0} when it has none). */
    public record Root(long block, long generation, int level, long mirror) {
        /** A root with one copy. */
        public Root(long block, long generation, int level) {
            this(block, generation, level, 0);
        }
    }

    public final UUID uuid;
    public final String label;
    public final int blockSize;
    public final int checksumId;
    public final Profile dataProfile;
    public final Profile metadataProfile;
    public final long generation;
    public final long totalBlocks;
    public final long nextInode;
    public final long usedBlocks;
    public final long incompat;
    public final long compat;
    public final long compatRo;
    /** Tree id to root, in id order. */
    private final SortedMap<Integer, Root> roots;

    public Superblock(UUID uuid, String label, int blockSize, int checksumId, Profile dataProfile,
            Profile metadataProfile, long generation, long totalBlocks, long nextInode, long usedBlocks, long incompat,
            long compat, long compatRo, Map<Integer, Root> roots) {
        if (roots.size() > MAX_ROOTS) {
            throw new IllegalArgumentException(roots.size() + " roots (at most " + MAX_ROOTS + ")");
        }
        this.uuid = uuid;
        this.label = label;
        this.blockSize = blockSize;
        this.checksumId = checksumId;
        this.dataProfile = dataProfile;
        this.metadataProfile = metadataProfile;
        this.generation = generation;
        this.totalBlocks = totalBlocks;
        this.nextInode = nextInode;
        this.usedBlocks = usedBlocks;
        this.incompat = incompat;
        this.compat = compat;
        this.compatRo = compatRo;
        this.roots = Collections.unmodifiableSortedMap(new TreeMap<>(roots));
    }

    /** The root of a tree, or null when the table has no row for it. */
    public Root root(TreeId tree) {
        return roots.get(tree.id());
    }

    /** Every row of the root table, known trees and others, by tree id. */
    public SortedMap<Integer, Root> roots() {
        return roots;
    }

    /** The first block that may be allocated. */
    public long firstDataBlock() {
        return firstDataBlock(blockSize);
    }

    public static long firstDataBlock(int blockSize) {
        return RESERVED_BYTES / blockSize;
    }

    /**
     * A copy for the next commit: {@code changed} replaces the rows of the trees it
     * names; every other row (a tree this engine does not know) is carried over.
     */
    public Superblock next(long generation, long nextInode, long usedBlocks, Map<Integer, Root> changed) {
        return next(generation, nextInode, usedBlocks, changed, 0);
    }

    /** As {@link #next(long, long, long, Map)}, with read-only compatible features {@code addCompatRo} set too. */
    public Superblock next(long generation, long nextInode, long usedBlocks, Map<Integer, Root> changed,
            long addCompatRo) {
        TreeMap<Integer, Root> table = new TreeMap<>(roots);
        table.putAll(changed);
        return new Superblock(uuid, label, blockSize, checksumId, dataProfile, metadataProfile, generation,
                totalBlocks, nextInode, usedBlocks, incompat, compat, compatRo | addCompatRo, table);
    }

    /**
     * A copy with the compatible and read-only compatible feature words replaced: a
     * commit records which features the volume uses now (the bitmap tree, bitmaps loaded
     * writable).
     */
    public Superblock withFeatures(long newCompat, long newCompatRo) {
        return new Superblock(uuid, label, blockSize, checksumId, dataProfile, metadataProfile, generation,
                totalBlocks, nextInode, usedBlocks, incompat, newCompat, newCompatRo, roots);
    }

    /** The slot this generation is written to. */
    public long offset() {
        return OFFSETS[(int) (generation % OFFSETS.length)];
    }

    public ByteBuffer encode(ChecksumAlgorithm checksum) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
        b.putLong(32, MAGIC);
        b.putInt(40, VERSION);
        b.putShort(44, (short) checksumId);
        b.putShort(46, (short) labelBytes.length);
        b.putInt(48, blockSize);
        b.put(52, (byte) dataProfile.code());
        b.put(53, (byte) metadataProfile.code());
        b.putShort(54, (short) roots.size());
        b.putLong(56, incompat);
        b.putLong(64, compat);
        b.putLong(72, compatRo);
        b.putLong(80, uuid.getMostSignificantBits());
        b.putLong(88, uuid.getLeastSignificantBits());
        b.putLong(96, generation);
        b.putLong(104, totalBlocks);
        b.putLong(112, nextInode);
        b.putLong(120, usedBlocks);
        b.put(LABEL_AT, labelBytes);
        int at = ROOTS_AT;
        for (Map.Entry<Integer, Root> row : roots.entrySet()) {
            Root r = row.getValue();
            b.putShort(at, (short) (int) row.getKey());
            b.put(at + 2, (byte) r.level());
            b.putLong(at + 8, r.block());
            b.putLong(at + 16, r.generation());
            b.putLong(at + 24, r.mirror());
            at += ROOT_BYTES;
        }
        checksum.digest(b.duplicate().position(32).limit(SIZE), b.array(), 0);
        return b;
    }

    /**
     * Decodes and validates one copy.
     *
     * @param algorithms the installed algorithm for an id, or null
     * @throws CorruptImageException when it is not a valid superblock
     * @throws NotSupportedException when it is valid but needs what this engine or
     *         framework does not have (another format version, an unknown incompatible
     *         feature, a profile it cannot serve, an algorithm not installed)
     */
    public static Superblock decode(ByteBuffer raw, String device, IntFunction<ChecksumAlgorithm> algorithms)
            throws CorruptImageException, NotSupportedException {
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != SIZE) {
            throw new CorruptImageException(device, "superblock of " + b.remaining() + " bytes");
        }
        b = b.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(32) != MAGIC) {
            throw new CorruptImageException(device, "bad magic (not a cowstack volume)");
        }
        int checksumId = b.getShort(44) & 0xffff;
        ChecksumAlgorithm checksum = algorithms.apply(checksumId);
        if (checksum == null) {
            throw new NotSupportedException(device + ": its checksum algorithm (id " + checksumId
                    + ") is not installed; storage:csum lists those that are");
        }
        byte[] digest = new byte[checksum.digestLength()];
        checksum.digest(b.duplicate().position(32).limit(SIZE), digest, 0);
        byte[] stored = new byte[checksum.digestLength()];
        b.get(0, stored);
        if (!Arrays.equals(digest, stored)) {
            throw new CorruptImageException(device, "superblock checksum mismatch");
        }
        for (int i = digest.length; i < 32; i++) {
            if (b.get(i) != 0) { // the digest's padding, which it does not cover
                throw new CorruptImageException(device, "superblock checksum mismatch (its padding is not zero)");
            }
        }
        checkVersion(b.getInt(40), device);
        long incompat = b.getLong(56);
        if ((incompat & ~INCOMPAT_SUPPORTED) != 0) {
            throw new NotSupportedException(String.format("%s: unknown incompatible features 0x%x; "
                    + "a newer engine made this volume", device, incompat & ~INCOMPAT_SUPPORTED));
        }
        int blockSize = b.getInt(48);
        if (blockSize < 512 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
            throw new CorruptImageException(device, "block size " + blockSize + " in the superblock");
        }
        Profile data = Profile.decode(b.get(52) & 0xff, "data", device);
        Profile metadata = Profile.decode(b.get(53) & 0xff, "metadata", device);
        long total = b.getLong(104);
        long firstData = firstDataBlock(blockSize);
        if (total <= firstData || total > Long.MAX_VALUE / blockSize) {
            throw new CorruptImageException(device, "total blocks " + total + " in the superblock");
        }
        int labelLength = b.getShort(46) & 0xffff;
        if (labelLength > MAX_LABEL) {
            throw new CorruptImageException(device, "label length " + labelLength);
        }
        byte[] label = new byte[labelLength];
        b.get(LABEL_AT, label);
        TreeMap<Integer, Root> roots = decodeRoots(b, device, firstData, total, metadata.copies() > 1);
        long generation = b.getLong(96);
        long nextInode = b.getLong(112);
        long used = b.getLong(120);
        if (generation <= 0 || generation > MAX_GENERATION || nextInode <= 0 || nextInode > MAX_INODE || used < 0
                || used > total) {
            throw new CorruptImageException(device, "generation " + generation + ", next inode " + nextInode
                    + ", used blocks " + used + " in the superblock");
        }
        return new Superblock(new UUID(b.getLong(80), b.getLong(88)), new String(label, StandardCharsets.UTF_8),
                blockSize, checksumId, data, metadata, generation, total, nextInode, used, incompat, b.getLong(64),
                b.getLong(72), roots);
    }

    /** One line naming both versions when the image is of another format than this engine's. */
    private static void checkVersion(int version, String device) throws NotSupportedException {
        if (version == VERSION) {
            return;
        }
        if (version < VERSION) {
            throw new NotSupportedException(device + ": format version " + version + " is older than this engine's "
                    + "format version " + VERSION + "; copy its files to a volume made by this engine's mkfs with "
                    + "the engine that wrote it");
        }
        throw new NotSupportedException(device + ": format version " + version + " is newer than this engine's "
                + "format version " + VERSION + "; a newer engine made this volume");
    }

    private static TreeMap<Integer, Root> decodeRoots(ByteBuffer b, String device, long firstData, long total,
            boolean mirrors) throws CorruptImageException {
        int rows = b.getShort(54) & 0xffff;
        if (rows > MAX_ROOTS) {
            throw new CorruptImageException(device, "a root table of " + rows + " rows (at most " + MAX_ROOTS + ")");
        }
        TreeMap<Integer, Root> roots = new TreeMap<>();
        for (int i = 0; i < rows; i++) {
            int at = ROOTS_AT + i * ROOT_BYTES;
            int id = b.getShort(at) & 0xffff;
            Root r = new Root(b.getLong(at + 8), b.getLong(at + 16), b.get(at + 2) & 0xff, b.getLong(at + 24));
            String tree = TreeId.of(id) != null ? TreeId.of(id).toString() : "tree " + id;
            if (r.block() < firstData || r.block() >= total || r.level() > MAX_LEVEL
                    || r.mirror() != 0 && (r.mirror() < firstData || r.mirror() >= total)) {
                throw new CorruptImageException(device, "the " + tree + " root " + r + " is outside the volume");
            }
            if (r.mirror() != 0 && !mirrors) { // freeing the root would free whatever that block holds
                throw new CorruptImageException(device, "the " + tree + " root " + r + " has a second copy, but "
                        + "metadata has one");
            }
            if (roots.put(id, r) != null) {
                throw new CorruptImageException(device, "the root table names the " + tree + " twice");
            }
        }
        for (TreeId t : TreeId.values()) {
            if (t.required() && !roots.containsKey(t.id())) {
                throw new CorruptImageException(device, "the root table has no row for the " + t);
            }
        }
        return roots;
    }
}
