package org.cowstack.storage.device.log;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.device.log.WriteLog.Entry;
import org.cowstack.storage.device.log.WriteLog.Kind;

/**
 * Rebuilds the image of a logged device at a point of its {@link WriteLog}: the point
 * {@code n} means "the power failed after entry {@code n - 1}". Everything before the
 * last flush before the point is durable; what was written after it either all landed
 * ({@link #after}) or landed in part, in any order, some writes torn at sector
 * boundaries ({@link #crash}), as the device contract allows. Writes forced to media
 * (FUA) always land whole.
 *
 * <p>Keeps the durable image at the last flush it passed, so points asked in increasing
 * order cost one image copy and the writes since that flush each.
 */
public final class Replayer {
    private static final int SECTOR = 512;

    private final WriteLog log;
    private final byte[] start;
    private byte[] durable;
    private int durableUpTo;

    /** A replayer of a log that started on a zeroed device. */
    public Replayer(WriteLog log) {
        this(log, new byte[Math.toIntExact(log.deviceSize())]);
    }

    /** A replayer of a log that started on a device holding {@code start} (not changed). */
    public Replayer(WriteLog log, byte[] start) {
        this.log = log;
        this.start = start;
        this.durable = start.clone();
    }

    /** The index just past the last flush before point {@code n} (0 when there was none). */
    public int durableUpTo(int n) {
        for (int i = n - 1; i >= 0; i--) {
            if (log.get(i).kind() == Kind.FLUSH) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The image at point {@code n} when every write before it landed, in order. */
    public byte[] after(int n) {
        byte[] image = durableCopy(n);
        for (int i = durableUpTo(n); i < n; i++) {
            apply(image, log.get(i), log.get(i).length());
        }
        return image;
    }

    /**
     * The image at point {@code n} after a power cut: each write since the last flush
     * dropped or kept (half the time each), the kept ones landing in a random order, one
     * in four of those torn after a random number of sectors.
     *
     * @return the image; {@code outcome}, when not null, gets one line on what happened
     */
    public byte[] crash(int n, Random random, StringBuilder outcome) {
        byte[] image = durableCopy(n);
        List<Entry> forced = new ArrayList<>();
        List<Entry> survivors = new ArrayList<>();
        int unflushed = 0;
        for (int i = durableUpTo(n); i < n; i++) {
            Entry e = log.get(i);
            if (e.kind() != Kind.WRITE && e.kind() != Kind.DISCARD) {
                continue;
            }
            unflushed++;
            if (e.fua()) {
                forced.add(e);
            } else if (random.nextBoolean()) {
                survivors.add(e);
            }
        }
        Collections.shuffle(survivors, random);
        int torn = 0;
        for (Entry e : survivors) {
            int length = e.length();
            if (random.nextInt(4) == 0) {
                length = random.nextInt(length / SECTOR + 1) * SECTOR;
                torn++;
            }
            apply(image, e, length);
        }
        for (Entry e : forced) {
            apply(image, e, e.length());
        }
        if (outcome != null) {
            outcome.append(unflushed).append(" unflushed writes: ").append(survivors.size()).append(" landed (")
                    .append(torn).append(" torn), ").append(forced.size()).append(" forced");
        }
        return image;
    }

    /** A device over an image, for mounting it; writes change the image. */
    public static BlockDevice device(URI uri, byte[] image, int blockSize) {
        return new ImageDevice(uri, image, blockSize);
    }

    private byte[] durableCopy(int n) {
        int upTo = durableUpTo(n);
        if (upTo < durableUpTo) {
            durable = start.clone();
            durableUpTo = 0;
        }
        for (int i = durableUpTo; i < upTo; i++) {
            apply(durable, log.get(i), log.get(i).length());
        }
        durableUpTo = upTo;
        return durable.clone();
    }

    private static void apply(byte[] image, Entry e, int length) {
        if (e.kind() == Kind.WRITE || e.kind() == Kind.DISCARD) {
            System.arraycopy(e.data(), 0, image, Math.toIntExact(e.offset()), length);
        }
    }
}
