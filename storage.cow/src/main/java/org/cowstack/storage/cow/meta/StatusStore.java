package org.cowstack.storage.cow.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.scrub.DeviceErrors;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;

/**
 * The volume's health records in the status tree ({@link TreeId#STATUS}, created with the
 * first record), typed. Callers hold the tree lock: shared to read, exclusive to store;
 * a store dirties the tree's nodes, so the running transaction's commit writes it.
 *
 * <pre>
 * (0, SCRUB, 0)            the last scrub, little-endian:
 *                          u8 layout version (1), u8 state ({@link ScrubState} ordinal), u8 repair,
 *                          u8 0, u32 damaged ranges stored, then u64 each: cursor, limit,
 *                          bytes total, started and ended (epoch ms, -1 for none), bytes done,
 *                          blocks checked, errors, corrected, uncorrectable, unverified;
 *                          u16 length + UTF-8 of the failure (0: none)
 * (0, SCRUB_DAMAGE, i)     its i-th damaged range: u64 physical, u64 blocks, u8 copy, u8 cause,
 *                          u8 repaired, u8 owners, then per owner u8 kind, u64 inode, u64 offset,
 *                          u16 length + UTF-8 path; at most {@value #MAX_SCRUB_DAMAGE} ranges and
 *                          {@value #MAX_OWNERS} owners each ({@value #MAX_PATH} bytes of path) are stored
 * (0, DEVICE_ERRORS, 0)    u64 each: read, write, flush, checksum, generation, repaired
 * (inode, DAMAGED, block)  a damaged file range: u64 blocks, u64 physical, u8 cause
 * </pre>
 */
public final class StatusStore {
    /** Damaged ranges a scrub record keeps at most (the counts go on counting past it). */
    public static final int MAX_SCRUB_DAMAGE = 10_000;
    /** Owners stored per damaged range of a scrub record. */
    public static final int MAX_OWNERS = 4;
    /** Bytes of an owner's path stored (longer ones are cut). */
    public static final int MAX_PATH = 255;
    private static final int LAYOUT = 1;
    private static final Key SCRUB = new Key(0, ItemType.SCRUB, 0);
    private static final Key ERRORS = new Key(0, ItemType.DEVICE_ERRORS, 0);
    private static final String[] CAUSES = {"", "media", "checksum", "metadata"};

    /**
     * A scrub as stored: where it was, its counts so far and what it found.
     *
     * @param cursor where it continues (a physical block), -1 once it read everything
     */
    public record ScrubRecord(ScrubState state, boolean repair, long cursor, long limit, long bytesTotal,
            Instant started, Instant ended, long bytesDone, long blocksChecked, long errors, long corrected,
            long uncorrectable, long unverified, String failure, List<DamagedRange> damaged) {
        public ScrubRecord {
            damaged = List.copyOf(damaged);
        }
    }

    /** The device error counters as stored, and the repairs. */
    public record Counters(DeviceErrors errors, long repairs) {
    }

    private final Trees trees;

    public StatusStore(Trees trees) {
        this.trees = trees;
    }

    private BTree tree() {
        return trees.get(TreeId.STATUS);
    }

    // ------------------------------------------------------------------ the last scrub

    /** The last scrub, or null when none was stored. */
    public ScrubRecord scrub() throws IOException {
        BTree t = tree();
        byte[] v = t == null ? null : t.get(SCRUB);
        if (v == null) {
            return null;
        }
        Corruption.check(v.length >= 8 + 11 * 8 + 2, () -> "scrub record of " + v.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        int layout = b.get() & 0xff;
        Corruption.check(layout == LAYOUT, () -> "scrub record layout " + layout);
        int state = b.get() & 0xff;
        Corruption.check(state < ScrubState.values().length, () -> "scrub state " + state);
        boolean repair = b.get() != 0;
        b.get();
        int ranges = b.getInt();
        long cursor = b.getLong();
        long limit = b.getLong();
        long total = b.getLong();
        Instant started = instant(b.getLong());
        Instant ended = instant(b.getLong());
        long[] counts = new long[6];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = b.getLong();
        }
        String failure = string(b);
        List<DamagedRange> damaged = new ArrayList<>();
        t.scan(Key.first(0, ItemType.SCRUB_DAMAGE), Key.last(0, ItemType.SCRUB_DAMAGE), (k, r) -> {
            damaged.add(decodeRange(r));
            return true;
        });
        Corruption.check(damaged.size() == ranges, () -> "scrub record of " + ranges + " damaged ranges with "
                + damaged.size() + " stored");
        return new ScrubRecord(ScrubState.values()[state], repair, cursor, limit, total, started, ended, counts[0],
                counts[1], counts[2], counts[3], counts[4], counts[5], failure.isEmpty() ? null : failure, damaged);
    }

    /**
     * Stores the last scrub, at most {@value #MAX_SCRUB_DAMAGE} of its damaged ranges.
     * With {@code sameScrub} (the stored record is an earlier state of this scrub, which
     * only adds ranges) only the ranges past those stored are written; otherwise all are.
     */
    public void scrub(ScrubRecord r, boolean sameScrub) throws IOException {
        BTree t = trees.create(TreeId.STATUS);
        int ranges = Math.min(r.damaged().size(), MAX_SCRUB_DAMAGE);
        byte[] failure = cut(r.failure() == null ? "" : r.failure(), 1024);
        ByteBuffer b = ByteBuffer.allocate(8 + 11 * 8 + 2 + failure.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) LAYOUT).put((byte) r.state().ordinal()).put((byte) (r.repair() ? 1 : 0)).put((byte) 0)
                .putInt(ranges);
        b.putLong(r.cursor()).putLong(r.limit()).putLong(r.bytesTotal()).putLong(millis(r.started()))
                .putLong(millis(r.ended())).putLong(r.bytesDone()).putLong(r.blocksChecked()).putLong(r.errors())
                .putLong(r.corrected()).putLong(r.uncorrectable()).putLong(r.unverified());
        b.putShort((short) failure.length).put(failure);
        byte[] before = t.get(SCRUB);
        int storedRanges = before == null ? 0 : ByteBuffer.wrap(before).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        t.put(SCRUB, b.array());
        int from = sameScrub ? Math.min(storedRanges, ranges) : 0;
        for (int i = ranges; i < storedRanges; i++) {
            t.delete(new Key(0, ItemType.SCRUB_DAMAGE, i));
        }
        for (int i = from; i < ranges; i++) {
            t.put(new Key(0, ItemType.SCRUB_DAMAGE, i), encodeRange(r.damaged().get(i)));
        }
    }

    private static byte[] encodeRange(DamagedRange d) {
        List<BlockOwner> owners = d.owners().subList(0, Math.min(MAX_OWNERS, d.owners().size()));
        List<byte[]> paths = new ArrayList<>();
        int size = 20;
        for (BlockOwner o : owners) {
            byte[] p = cut(o.path() == null ? "" : o.path(), MAX_PATH);
            paths.add(p);
            size += 19 + p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(d.physical()).putLong(d.blocks()).put((byte) d.copy()).put((byte) cause(d.cause()))
                .put((byte) (d.repaired() ? 1 : 0)).put((byte) owners.size());
        for (int i = 0; i < owners.size(); i++) {
            BlockOwner o = owners.get(i);
            b.put((byte) o.kind().ordinal()).putLong(o.inode()).putLong(o.offset())
                    .putShort((short) paths.get(i).length).put(paths.get(i));
        }
        return b.array();
    }

    private static DamagedRange decodeRange(byte[] v) {
        Corruption.check(v.length >= 20, () -> "scrub damaged range of " + v.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        long physical = b.getLong();
        long blocks = b.getLong();
        int copy = b.get() & 0xff;
        int cause = b.get() & 0xff;
        boolean repaired = b.get() != 0;
        int n = b.get() & 0xff;
        List<BlockOwner> owners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Corruption.check(b.remaining() >= 19, "scrub damaged range owner cut short");
            int kind = b.get() & 0xff;
            Corruption.check(kind < BlockOwner.Kind.values().length, () -> "block owner kind " + kind);
            long inode = b.getLong();
            long offset = b.getLong();
            String path = string(b);
            owners.add(new BlockOwner(BlockOwner.Kind.values()[kind], path, inode, offset));
        }
        return new DamagedRange(physical, blocks, copy, causeName(cause), repaired, owners);
    }

    // ------------------------------------------------------------------ device error counters

    /** The counters as stored, or none. */
    public Counters errors() throws IOException {
        BTree t = tree();
        byte[] v = t == null ? null : t.get(ERRORS);
        if (v == null) {
            return new Counters(DeviceErrors.NONE, 0);
        }
        Corruption.check(v.length == 48, () -> "device error counters of " + v.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        return new Counters(new DeviceErrors(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong()),
                b.getLong());
    }

    public void errors(Counters c) throws IOException {
        DeviceErrors e = c.errors();
        trees.create(TreeId.STATUS).put(ERRORS, ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(e.read()).putLong(e.write()).putLong(e.flush()).putLong(e.checksum())
                .putLong(e.generation()).putLong(c.repairs()).array());
    }

    // ------------------------------------------------------------------ damaged file ranges

    /** Every damaged file range stored. */
    public List<DamagedRanges.Range> damaged() throws IOException {
        BTree t = tree();
        List<DamagedRanges.Range> out = new ArrayList<>();
        if (t == null) {
            return out;
        }
        t.scan(new Key(1, ItemType.DAMAGED, Long.MIN_VALUE), new Key(Long.MAX_VALUE, ItemType.DAMAGED, Long.MAX_VALUE),
                (k, v) -> {
                    if (k.type() == ItemType.DAMAGED) {
                        Corruption.check(v.length == 17, () -> "damaged range " + k + " of " + v.length + " bytes");
                        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
                        out.add(new DamagedRanges.Range(k.objectId(), k.offset(), b.getLong(), b.getLong(),
                                b.get() & 0xff));
                    }
                    return true;
                });
        return out;
    }

    /** Stores changes of the damaged file ranges: by (inode, file block), the range there now or null. */
    public void damaged(Map<List<Long>, DamagedRanges.Range> changes) throws IOException {
        if (changes.isEmpty()) {
            return;
        }
        BTree t = trees.create(TreeId.STATUS);
        for (Map.Entry<List<Long>, DamagedRanges.Range> e : changes.entrySet()) {
            Key k = new Key(e.getKey().get(0), ItemType.DAMAGED, e.getKey().get(1));
            DamagedRanges.Range r = e.getValue();
            if (r == null) {
                t.delete(k);
            } else {
                t.put(k, ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN).putLong(r.blocks())
                        .putLong(r.physical()).put((byte) r.cause()).array());
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static int cause(String name) {
        for (int i = 1; i < CAUSES.length; i++) {
            if (CAUSES[i].equals(name)) {
                return i;
            }
        }
        return 0;
    }

    private static String causeName(int code) {
        return code > 0 && code < CAUSES.length ? CAUSES[code] : "unknown";
    }

    private static long millis(Instant i) {
        return i == null ? -1 : i.toEpochMilli();
    }

    private static Instant instant(long ms) {
        return ms < 0 ? null : Instant.ofEpochMilli(ms);
    }

    private static byte[] cut(String s, int max) {
        String c = s;
        byte[] b = c.getBytes(StandardCharsets.UTF_8);
        while (b.length > max) {
            c = c.substring(0, c.offsetByCodePoints(c.length(), -1));
            b = c.getBytes(StandardCharsets.UTF_8);
        }
        return b;
    }

    private static String string(ByteBuffer b) {
        Corruption.check(b.remaining() >= 2, "a string cut short in the status tree");
        int n = b.getShort() & 0xffff;
        Corruption.check(b.remaining() >= n, () -> "a string of " + n + " bytes cut short in the status tree");
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
