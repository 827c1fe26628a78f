package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.bitmap.Backup;
import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapInfo;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Transactional bitmaps beyond qemu: power cuts at random device writes of a seeded
 * workload of writes, punches, zero ranges, truncates, clones, fsyncs and backups. After
 * each, the volume mounts, its bitmap is consistent, and it covers every granule whose
 * content differs from the file as the last completed backup copied it (contents
 * compared, not bits). qemu's bitmaps are inconsistent after every one of these cuts.
 */
class BitmapCrashTest {
    private static final int G = 16 * 1024;
    private static final int MAX = 512 * 1024;
    private static final int CUTS = Integer.getInteger("bitmapcrash.rounds", 1000);
    private static final int FIRST = Integer.getInteger("bitmapcrash.first", 0);
    private static final boolean TRACE = Boolean.getBoolean("bitmapcrash.trace");

    private static void trace(String what) {
        if (TRACE) {
            System.out.println(what);
        }
    }

    /** The file as the workload left it, and as the last completed backup copied it. */
    private static final class Model {
        byte[] content = new byte[0];
        byte[] backedUp;

        void write(long at, byte[] data) {
            content = Arrays.copyOf(content, (int) Math.max(content.length, at + data.length));
            System.arraycopy(data, 0, content, (int) at, data.length);
        }

        void zero(long from, long to) {
            Arrays.fill(content, (int) Math.min(from, content.length), (int) Math.min(to, content.length), (byte) 0);
        }
    }

    private static void workload(CowVolume v, Random r, Model m, int ops) throws IOException {
        try (FileHandle f = v.open("/vm", Volumes.RW); FileHandle src = v.open("/src", Volumes.RW)) {
            for (int op = 0; op < ops; op++) {
                int what = r.nextInt(100);
                if (what < 40) {
                    long at = r.nextInt(MAX);
                    byte[] data = new byte[1 + r.nextInt(r.nextInt(6) == 0 ? 64 * 1024 : 5000)];
                    r.nextBytes(data);
                    trace("write " + at + "+" + data.length);
                    f.write(ByteBuffer.wrap(data), at);
                    m.write(at, data);
                } else if (what < 48) {
                    long at = r.nextInt(MAX / 4096) * 4096L;
                    byte[] data = new byte[4096 * (1 + r.nextInt(4))];
                    r.nextBytes(data);
                    v.dioStrategy(Volumes.DIO_STRATEGIES.get(r.nextInt(Volumes.DIO_STRATEGIES.size())));
                    trace("direct " + at + "+" + data.length);
                    f.writeDirect(ByteBuffer.wrap(data), at);
                    m.write(at, data);
                } else if (what < 56) {
                    long at = r.nextInt(MAX);
                    long length = 1 + r.nextInt(40_000);
                    boolean zero = r.nextBoolean();
                    trace((zero ? "zero " : "punch ") + at + "+" + length);
                    f.fallocate(zero ? FallocateMode.ZERO_RANGE_KEEP_SIZE : FallocateMode.PUNCH_HOLE, at, length);
                    m.zero(at, at + length);
                } else if (what < 63) {
                    int size = r.nextInt(MAX);
                    trace("truncate " + size + " (was " + m.content.length + ")");
                    f.truncate(size);
                    m.content = Arrays.copyOf(m.content, size);
                } else if (what < 70) {
                    long blocks = 1 + r.nextInt(8);
                    long srcAt = r.nextInt(16) * 4096L;
                    long at = r.nextInt(MAX / 4096) * 4096L;
                    byte[] data = Volumes.readAll(v, "/src");
                    long n = Math.min(blocks * 4096, data.length - srcAt);
                    if (n <= 0 || at > m.content.length) {
                        continue;
                    }
                    trace("clone " + srcAt + " -> " + at + "+" + n);
                    f.cloneRange(src, srcAt, at, n);
                    m.write(at, Arrays.copyOfRange(data, (int) srcAt, (int) (srcAt + n)));
                } else if (what < 85) {
                    trace("fsync");
                    f.fsync();
                } else if (what < 92) {
                    byte[] at = m.content.clone();
                    try (Backup b = f.bitmaps().backup("b", BackupSync.BITMAP, BitmapSync.ON_SUCCESS)) {
                        ByteBuffer buf = ByteBuffer.allocate(G);
                        for (DirtyRange range : b.ranges()) {
                            for (long pos = range.offset(); pos < range.end(); pos += G) {
                                buf.clear().limit((int) Math.min(G, range.end() - pos));
                                b.read(buf, pos);
                            }
                        }
                        b.finish(true);
                    }
                    m.backedUp = at; // the backup copied the file as it was when it started
                    trace("backup done, " + at.length + " bytes");
                } else {
                    byte[] data = new byte[4096 * (1 + r.nextInt(16))];
                    r.nextBytes(data);
                    src.write(ByteBuffer.wrap(data), 0);
                }
            }
        }
    }

    /** Granules where the two contents differ (a byte present in one and not the other differs). */
    private static List<Long> differing(byte[] a, byte[] b) {
        List<Long> out = new ArrayList<>();
        int length = Math.max(a.length, b.length);
        for (int g = 0; g * G < length; g++) {
            int from = g * G;
            int to = Math.min(length, from + G);
            boolean same = to <= a.length && to <= b.length && Arrays.equals(a, from, to, b, from, to);
            if (!same) {
                out.add((long) g);
            }
        }
        return out;
    }

    @Test
    void afterEveryPowerCutTheTransactionalBitmapCoversEveryChangeSinceTheLastBackup() throws IOException {
        long seed = Seeds.seed("BitmapCrashTest");
        int inconsistent = 0;
        int uncovered = 0;
        long cutsHappened = 0;
        for (int round = FIRST; round < FIRST + CUTS; round++) {
            Random r = new Random(seed + round);
            MemDeviceProvider mem = new MemDeviceProvider();
            Volumes plain = new Volumes(mem);
            Volumes wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
            URI disk = URI.create("mem:cut" + round);
            plain.mkfs(disk, 16 << 20, FormatOptions.defaults());
            CowVolume v = wrapped.mount(URI.create("faulty:" + disk));
            Model m = new Model();
            try (FileHandle f = v.open("/vm", Volumes.RW); FileHandle src = v.open("/src", Volumes.RW)) {
                byte[] start = new byte[r.nextInt(MAX)];
                r.nextBytes(start);
                f.write(ByteBuffer.wrap(start), 0);
                m.write(0, start);
                src.write(ByteBuffer.wrap(start, 0, Math.min(start.length, 64 * 1024)), 0);
                f.bitmaps().add("b", BitmapOptions.defaults().granularity(G));
                f.fsync();
                m.backedUp = m.content.clone(); // the bitmap's start: as a full backup taken now
            }
            FaultControl control = (FaultControl) v.boundDevice();
            control.seed(seed + round);
            control.powerCutAtWrite(1 + r.nextInt(60));
            try {
                workload(v, r, m, 80);
                v.sync();
            } catch (IOException cut) {
                // the power failed under an operation
            }
            cutsHappened += control.poweredOff() ? 1 : 0;
            v.abandon();

            CowVolume after = plain.mount(disk);
            try (FileHandle f = after.open("/vm", Volumes.RW)) {
                BitmapInfo info = f.bitmaps().list().get(0);
                if (info.states().contains(BitmapInfo.State.INCONSISTENT)) {
                    inconsistent++;
                }
                List<DirtyRange> dirty = f.bitmaps().dump("b");
                byte[] now = Volumes.readAll(after, "/vm");
                for (long g : differing(now, m.backedUp)) {
                    long at = g * G;
                    boolean covered = dirty.stream().anyMatch(d -> d.offset() <= at && at < d.end());
                    if (!covered) {
                        uncovered++;
                        System.out.println("round " + round + " (seed " + (seed + round) + "): granule " + g
                                + " differs from the last backup but is clean; dirty " + dirty + ", size now "
                                + now.length + ", backed up " + m.backedUp.length);
                        break;
                    }
                }
            }
            assertEquals(List.of(), after.audit(), "round " + round);
            after.unmount();
            mem.deactivate();
        }
        System.out.println("BitmapCrashTest: " + CUTS + " rounds, " + cutsHappened + " power cuts, " + inconsistent
                + " bitmaps inconsistent, " + uncovered + " with a changed granule not dirty (seed " + seed + ")");
        assertTrue(cutsHappened > CUTS / 2, "the power failed in most rounds: " + cutsHappened);
        assertEquals(0, inconsistent);
        assertEquals(0, uncovered);
    }
}
