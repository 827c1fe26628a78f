package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Power cuts under an export: a client writes through the NBD protocol, some writes with
 * FUA, flushes now and then, and the power of the volume's device fails at a random
 * device write ({@code faulty:}). After a remount every block must hold what the client
 * made durable (the last write acknowledged with FUA or before an acknowledged flush) or
 * a later write of that block: never older data, never a mix, never another block's.
 * That is the promise {@code NBD_FLAG_SEND_FLUSH} and {@code NBD_FLAG_SEND_FUA} make.
 */
class NbdCrashTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 256;
    private static final int ROUNDS = Integer.getInteger("nbd.crash.rounds", 30);
    private static final VolumeServices SERVICES = VolumeServices.of(List.of(new Crc32c()), List.of(new FirstFit()),
            List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct()));

    /** Per block: the version made durable, and versions written after it (acknowledged or not). */
    private static final class Model {
        final int[] durable = new int[BLOCKS];
        final List<Set<Integer>> later = new ArrayList<>();

        Model() {
            for (int b = 0; b < BLOCKS; b++) {
                later.add(new HashSet<>());
            }
        }

        void written(int first, int n, int version, boolean durableNow) {
            for (int b = first; b < first + n; b++) {
                if (durableNow) {
                    durable[b] = version;
                    later.get(b).clear();
                } else {
                    later.get(b).add(version);
                }
            }
        }

        void mayHaveLanded(int first, int n, int version) {
            written(first, n, version, false);
        }

        /** A flush acknowledged: the newest acknowledged write of each block is durable. */
        void flushed(int[] newest) {
            for (int b = 0; b < BLOCKS; b++) {
                if (newest[b] != 0 && later.get(b).contains(newest[b])) {
                    durable[b] = newest[b];
                    later.get(b).clear();
                }
            }
        }
    }

    /** Block {@code b} of write {@code version}: the pair repeated, so a mix or a misplaced block shows. */
    private static byte[] pattern(int version, int b) {
        ByteBuffer p = ByteBuffer.allocate(BLOCK);
        while (p.hasRemaining()) {
            p.putInt(version).putInt(b);
        }
        return p.array();
    }

    @Test
    void everythingAcknowledgedWithFuaOrBeforeAFlushSurvivesAPowerCut() throws Exception {
        long seed = Seeds.seed("NbdCrashTest");
        int cuts = 0;
        long acknowledged = 0;
        long flushes = 0;
        long checked = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Random r = new Random(seed + round);
            MemDeviceProvider mem = new MemDeviceProvider();
            URI disk = URI.create("mem:nbdcrash" + round);
            try (BlockDevice d = mem.open(disk, OpenOptions.create(32 << 20))) {
                CowVolume.format(d, FormatOptions.defaults(), SERVICES, "first-fit");
            }
            CowVolume v = CowVolume.mount("v", disk, mem.open(disk, OpenOptions.readWrite()), SERVICES,
                    MountOptions.defaults(), 8 << 20);
            try (FileHandle f = v.open("/disk", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
                f.truncate((long) BLOCKS * BLOCK);
            }
            v.unmount();

            URI faulty = URI.create("faulty:" + disk);
            BlockDevice device = new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null).open(faulty,
                    OpenOptions.readWrite());
            CowVolume volume = CowVolume.mount("v", faulty, device, SERVICES, MountOptions.defaults(), 8 << 20);
            FaultControl control = (FaultControl) device;
            control.seed(seed + round);
            control.powerCutAtWrite(1 + r.nextInt(400));
            Export export = new Export("disk", "", volume, "/disk", false, List.of());
            Model m = new Model();
            int[] newest = new int[BLOCKS];
            int version = 0;
            try (NbdServer server = new NbdServer(new InetSocketAddress("127.0.0.1", 0),
                    n -> n.equals("disk") ? export : null, () -> List.of(export), line -> { }).start();
                    NbdClient c = new NbdClient(server.port())) {
                assertEquals((long) BLOCKS * BLOCK, c.go("disk")[0]);
                for (int op = 0; op < 400; op++) {
                    if (r.nextInt(8) == 0) {
                        if (c.simpleReply(c.request(0, Nbd.CMD_FLUSH, 0, 0, null), null) != 0) {
                            break; // the power failed under the flush: nothing after it is promised
                        }
                        m.flushed(newest);
                        flushes++;
                        continue;
                    }
                    int first = r.nextInt(BLOCKS);
                    int n = 1 + r.nextInt(Math.min(16, BLOCKS - first));
                    boolean fua = r.nextInt(4) == 0;
                    version++;
                    ByteBuffer payload = ByteBuffer.allocate(n * BLOCK);
                    for (int b = first; b < first + n; b++) {
                        payload.put(pattern(version, b));
                    }
                    m.mayHaveLanded(first, n, version);
                    long cookie = c.request(fua ? Nbd.CMD_FLAG_FUA : 0, Nbd.CMD_WRITE, (long) first * BLOCK,
                            (long) n * BLOCK, payload.array());
                    if (c.simpleReply(cookie, null) != 0) {
                        break;
                    }
                    acknowledged++;
                    for (int b = first; b < first + n; b++) {
                        newest[b] = version;
                    }
                    if (fua) {
                        m.written(first, n, version, true);
                    }
                }
                if (!control.poweredOff()) {
                    control.powerCut();
                }
                cuts++;
            }
            volume.abandon();

            CowVolume after = CowVolume.mount("after", disk, mem.open(disk, OpenOptions.readWrite()), SERVICES,
                    MountOptions.defaults(), 8 << 20);
            try (FileHandle f = after.open("/disk", EnumSet.of(StandardOpenOption.READ))) {
                assertEquals((long) BLOCKS * BLOCK, f.size(), "round " + round + " (seed " + (seed + round) + ")");
                for (int b = 0; b < BLOCKS; b++) {
                    ByteBuffer got = ByteBuffer.allocate(BLOCK);
                    while (got.hasRemaining() && f.read(got, (long) b * BLOCK + got.position()) > 0) {
                        // reading the block whole
                    }
                    int found = versionOf(got.array(), b);
                    boolean allowed = found == m.durable[b] || m.later.get(b).contains(found);
                    assertTrue(allowed, "round " + round + " (seed " + (seed + round) + "): block " + b + " holds "
                            + (found < 0 ? "bytes of no write to it" : "version " + found) + "; durable was "
                            + m.durable[b] + ", written after it " + m.later.get(b));
                    checked++;
                }
            } finally {
                after.unmount();
                mem.deactivate();
            }
        }
        System.out.println("NbdCrashTest: " + ROUNDS + " rounds, " + cuts + " power cuts under an export, "
                + acknowledged + " writes and " + flushes + " flushes acknowledged, " + checked + " blocks checked, 0 lost");
    }

    /** The version a block holds (0: zeros), or -1 when it is no whole version of this block. */
    private static int versionOf(byte[] block, int b) {
        ByteBuffer p = ByteBuffer.wrap(block);
        int version = p.getInt(0);
        if (version == 0 && p.getInt(4) == 0) {
            return java.util.Arrays.equals(block, new byte[BLOCK]) ? 0 : -1;
        }
        return java.util.Arrays.equals(block, pattern(version, b)) ? version : -1;
    }
}
