package org.cowstack.storage.cow.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.IntFunction;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;

/**
 * The superblock: identity, geometry, generation and tree roots of a volume, with its
 * own checksum. Two copies live at fixed offsets; generation {@code g} is written to
 * slot {@code g % 2}, so a torn superblock write always leaves the previous one intact,
 * and mount takes the newest copy that verifies.
 *
 * <pre>
 * offset size
 *    0   32  digest of bytes [32, 4096) in the volume's algorithm (zero-padded)
 *   32    8  magic "_CoWStk_"
 *   40    4  format version
 *   44    2  checksum algorithm id
 *   46    2  label length
 *   48    4  block size
 *   52    4  (zero)
 *   56    8  incompatible features   (a set bit this engine does not know: refuse to mount)
 *   64    8  compatible features     (unknown ones are ignored)
 *   72    8  read-only compatible    (unknown ones: mount read-only only)
 *   80   16  uuid
 *   96    8  generation
 *  104    8  total blocks
 *  112    8  next inode number
 *  120    8  used blocks
 *  128   96  4 tree roots: block u64, generation u64, level u8, 7 zero bytes
 *  224  255  label, UTF-8
 * </pre>
 */
public final class Superblock {
    public static final int SIZE = 4096;
    /** Byte offsets of the two copies. */
    public static final long[] OFFSETS = {64L << 10, 128L << 10};
    /** Bytes at the start of the device that are never allocated: the superblocks and the 64 KiB before them. */
    public static final long RESERVED_BYTES = 256L << 10;
    public static final long MAGIC = 0x5F6B7453576F435FL; // "_CoWStk_" read little-endian
    public static final int VERSION = 1;
    public static final long INCOMPAT_SUPPORTED = 0;
    public static final long COMPAT_RO_SUPPORTED = 0;
    /** Deeper trees than this are corruption, not data: it bounds every descent. */
    public static final int MAX_LEVEL = 16;

    private static final int ROOTS_AT = 128;
    private static final int ROOT_BYTES = 24;
    private static final int LABEL_AT = 224;
    private static final int MAX_LABEL = 255;

    /** Where a tree's root is. */
    public record Root(long block, long generation, int level) {
    }

    public final UUID uuid;
    public final String label;
    public final int blockSize;
    public final int checksumId;
    public final long generation;
    public final long totalBlocks;
    public final long nextInode;
    public final long usedBlocks;
    public final long incompat;
    public final long compat;
    public final long compatRo;
    private final Root[] roots;

    public Superblock(UUID uuid, String label, int blockSize, int checksumId, long generation, long totalBlocks,
            long nextInode, long usedBlocks, long incompat, long compat, long compatRo, Root[] roots) {
        if (roots.length != TreeId.values().length) {
            throw new IllegalArgumentException("one root per tree expected");
        }
        this.uuid = uuid;
        this.label = label;
        this.blockSize = blockSize;
        this.checksumId = checksumId;
        this.generation = generation;
        this.totalBlocks = totalBlocks;
        this.nextInode = nextInode;
        this.usedBlocks = usedBlocks;
        this.incompat = incompat;
        this.compat = compat;
        this.compatRo = compatRo;
        this.roots = roots.clone();
    }

    public Root root(TreeId tree) {
        return roots[tree.ordinal()];
    }

    /** The first block that may be allocated. */
    public long firstDataBlock() {
        return firstDataBlock(blockSize);
    }

    public static long firstDataBlock(int blockSize) {
        return RESERVED_BYTES / blockSize;
    }

    /** A copy for the next commit. */
    public Superblock next(long generation, long nextInode, long usedBlocks, Root[] roots) {
        return new Superblock(uuid, label, blockSize, checksumId, generation, totalBlocks, nextInode, usedBlocks,
                incompat, compat, compatRo, roots);
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
        b.putLong(56, incompat);
        b.putLong(64, compat);
        b.putLong(72, compatRo);
        b.putLong(80, uuid.getMostSignificantBits());
        b.putLong(88, uuid.getLeastSignificantBits());
        b.putLong(96, generation);
        b.putLong(104, totalBlocks);
        b.putLong(112, nextInode);
        b.putLong(120, usedBlocks);
        for (TreeId t : TreeId.values()) {
            int at = ROOTS_AT + t.ordinal() * ROOT_BYTES;
            Root r = roots[t.ordinal()];
            b.putLong(at, r.block());
            b.putLong(at + 8, r.generation());
            b.put(at + 16, (byte) r.level());
        }
        b.put(LABEL_AT, labelBytes);
        checksum.digest(b.duplicate().position(32).limit(SIZE), b.array(), 0);
        return b;
    }

    /**
     * Decodes and validates one copy.
     *
     * @param algorithms the installed algorithm for an id, or null
     * @throws CorruptImageException when it is not a valid superblock
     * @throws NotSupportedException when it is valid but needs what this engine or
     *         framework does not have (a newer format, an unknown incompatible feature,
     *         an algorithm not installed)
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
        int version = b.getInt(40);
        if (version != VERSION) {
            throw new NotSupportedException(device + ": format version " + version + ", this engine reads version "
                    + VERSION);
        }
        long incompat = b.getLong(56);
        if ((incompat & ~INCOMPAT_SUPPORTED) != 0) {
            throw new NotSupportedException(String.format("%s: unknown incompatible features 0x%x; "
                    + "a newer engine made this volume", device, incompat & ~INCOMPAT_SUPPORTED));
        }
        int blockSize = b.getInt(48);
        if (blockSize < 512 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
            throw new CorruptImageException(device, "block size " + blockSize + " in the superblock");
        }
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
        Root[] roots = new Root[TreeId.values().length];
        for (TreeId t : TreeId.values()) {
            int at = ROOTS_AT + t.ordinal() * ROOT_BYTES;
            Root r = new Root(b.getLong(at), b.getLong(at + 8), b.get(at + 16) & 0xff);
            if (r.block() < firstData || r.block() >= total || r.level() > MAX_LEVEL) {
                throw new CorruptImageException(device, "the " + t + " root " + r + " is outside the volume");
            }
            roots[t.ordinal()] = r;
        }
        long generation = b.getLong(96);
        long nextInode = b.getLong(112);
        long used = b.getLong(120);
        if (generation <= 0 || nextInode <= 0 || used < 0 || used > total) {
            throw new CorruptImageException(device, "generation " + generation + ", next inode " + nextInode
                    + ", used blocks " + used + " in the superblock");
        }
        return new Superblock(new UUID(b.getLong(80), b.getLong(88)), new String(label, StandardCharsets.UTF_8),
                blockSize, checksumId, generation, total, nextInode, used, incompat, b.getLong(64), b.getLong(72),
                roots);
    }
}
