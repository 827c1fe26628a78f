package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Power cuts at every k-th device write of a seeded workload. After each, the volume
 * must mount, pass its audit, and hold exactly the files of some state between the
 * last completed fsync and the cut: what fsync made durable is there, nothing that was
 * never written is.
 */
class CrashTest {
    private static final long VOLUME = 24L << 20;

    /** The workload: the same for a given seed, run until it ends or the power fails. */
    private static final class Workload {
        final List<Map<String, byte[]>> candidates = new ArrayList<>();
        final Map<String, byte[]> model = new TreeMap<>();
        int fsyncs;

        void run(CowVolume v, long seed, int ops) throws IOException {
            Random r = new Random(seed);
            candidates.add(copy(model));
            for (int op = 0; op < ops; op++) {
                String path = "/f" + r.nextInt(6);
                byte[] content = model.get(path);
                Map<String, byte[]> next = copy(model);
                IoAction action;
                boolean fsync = false;
                int what = r.nextInt(100);
                if (what < 45) {
                    int length = 1 + r.nextInt(r.nextInt(8) == 0 ? 200_000 : 9000);
                    long offset = r.nextInt(400_000);
                    byte[] drawn = new byte[length];
                    r.nextBytes(drawn);
                    boolean direct = r.nextInt(4) == 0;
                    String strategy = Volumes.DIO_STRATEGIES.get(r.nextInt(Volumes.DIO_STRATEGIES.size()));
                    long at = direct ? offset - offset % 4096 : offset;
                    byte[] data = direct ? Arrays.copyOf(drawn, Math.max(4096, length - length % 4096)) : drawn;
                    action = () -> {
                        try (FileHandle f = v.open(path, Volumes.RW)) {
                            if (direct) {
                                v.dioStrategy(strategy);
                                f.writeDirect(ByteBuffer.wrap(data), at);
                            } else {
                                f.write(ByteBuffer.wrap(data), at);
                            }
                        }
                    };
                    byte[] base = content == null ? new byte[0] : content;
                    byte[] updated = Arrays.copyOf(base, (int) Math.max(base.length, at + data.length));
                    System.arraycopy(data, 0, updated, (int) at, data.length);
                    next.put(path, updated);
                } else if (what < 55) {
                    int size = r.nextInt(300_000);
                    action = () -> {
                        try (FileHandle f = v.open(path, Volumes.RW)) {
                            f.truncate(size);
                        }
                    };
                    next.put(path, Arrays.copyOf(content == null ? new byte[0] : content, size));
                } else if (what < 62) {
                    action = content == null ? () -> { } : () -> v.delete(path);
                    next.remove(path);
                } else if (what < 68) {
                    String to = "/f" + r.nextInt(6);
                    if (content != null && !to.equals(path)) {
                        action = () -> v.rename(path, to);
                        next.remove(path);
                        next.put(to, content);
                    } else {
                        action = () -> { };
                    }
                } else if (what < 85) {
                    fsync = true;
                    action = () -> {
                        try (FileHandle f = v.open(path, Volumes.RW)) {
                            f.fsync();
                        }
                    };
                    if (content == null) {
                        next.put(path, new byte[0]); // the open created it
                    }
                } else {
                    action = () -> { };
                }
                try {
                    action.run();
                } catch (IOException e) {
                    // A commit inside the operation (write-back throttle, space reclaim)
                    // may have made its effect durable before the cut.
                    candidates.add(next);
                    throw e;
                }
                model.clear();
                model.putAll(next);
                if (fsync) {
                    fsyncs++;
                    // Durable now: earlier states are no longer acceptable after a crash.
                    candidates.clear();
                }
                candidates.add(copy(model));
            }
        }

        @FunctionalInterface
        private interface IoAction {
            void run() throws IOException;
        }

        private static Map<String, byte[]> copy(Map<String, byte[]> m) {
            return FileStates.copy(m);
        }
    }

    @Test
    void everyCrashPointMountsAtAStateBetweenTheLastFsyncAndTheCut() throws IOException {
        long seed = Seeds.seed("CrashTest");
        int ops = 120;
        MemDeviceProvider mem = new MemDeviceProvider();
        FaultyDeviceProvider faulty = new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null);
        Volumes plain = new Volumes(mem);
        Volumes wrapped = new Volumes(faulty);

        // A run without faults counts the device writes the workload makes. Direct writes
        // that the DIO strategy buffers make none of their own, so a seed can draw a
        // workload too quiet to cut 100 times: it then grows until it is not.
        long totalWrites;
        for (int attempt = 0; ; attempt++) {
            URI counting = URI.create("mem:crash-count" + attempt);
            plain.mkfs(counting, VOLUME, FormatOptions.defaults());
            CowVolume v = wrapped.mount(URI.create("faulty:" + counting));
            FaultControl control = control(v);
            new Workload().run(v, seed, ops);
            v.sync();
            totalWrites = control.writes();
            v.unmount();
            if (totalWrites >= 150 || ops >= 960) {
                break;
            }
            ops *= 2;
        }
        assertTrue(totalWrites > 50, "the workload writes enough to cut it often: " + totalWrites);

        int rounds = 0;
        int mountedAfterFsync = 0;
        mem.deactivate();
        long step = Math.max(1, totalWrites / 150);
        for (long k = 1; k <= totalWrites; k += step) {
            // A RAM disk per crash point, freed when the round is done.
            MemDeviceProvider roundMem = new MemDeviceProvider();
            plain = new Volumes(roundMem);
            wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? roundMem : null));
            URI disk = URI.create("mem:crash" + k);
            plain.mkfs(disk, VOLUME, FormatOptions.defaults());
            CowVolume crashing = wrapped.mount(URI.create("faulty:" + disk));
            FaultControl c = control(crashing);
            c.seed(seed + k);
            c.powerCutAtWrite(k);
            Workload w = new Workload();
            try {
                w.run(crashing, seed, ops);
                crashing.sync();
            } catch (IOException expected) {
                // the power failed under an operation: it failed cleanly
            }
            assertTrue(c.poweredOff() || k > c.writes(), "the cut happened at write " + k);
            crashing.abandon();
            CowVolume after;
            try {
                after = plain.mount(disk);
            } catch (IOException e) {
                throw new AssertionError("crash at write " + k + " (seed " + seed + "): mount failed: " + e, e);
            }
            assertEquals(List.of(), after.audit(), "crash at write " + k + " (seed " + seed + "): audit");
            assertEquals(List.of(), after.check().problems(), "crash at write " + k + " (seed " + seed + "): check");
            Map<String, byte[]> found = FileStates.read(after);
            if (!FileStates.oneOf(w.candidates, found)) {
                fail("crash at write " + k + " (seed " + seed + "): the volume holds " + FileStates.describe(found)
                        + ", which is no state since the last fsync (" + w.candidates.size() + " candidates)");
            }
            if (w.fsyncs > 0) {
                mountedAfterFsync++;
            }
            // The volume is usable after the crash: write, sync, read back.
            Volumes.write(after, "/after-crash", 0, new byte[] {1, 2, 3});
            after.sync();
            after.unmount();
            roundMem.deactivate();
            rounds++;
        }
        System.out.printf("crash points tried: %d (every %d of %d device writes; %d after at least one fsync)%n",
                rounds, step, totalWrites, mountedAfterFsync);
        assertTrue(rounds >= 100, "at least 100 crash points");
    }

    /**
     * Memory pressure writes dirty pages back without committing: the data goes to blocks
     * no committed tree references, and the metadata that maps them stays in memory. So
     * the file written under pressure reads back before the cut, and after a power cut
     * before any fsync the volume is exactly its last commit. (When pressure committed, the
     * cut left part of the unsynced file behind.)
     */
    @Test
    void pagesWrittenBackUnderMemoryPressureAreNotCommittedBeforeFsync() throws IOException {
        long seed = Seeds.seed("CrashTest.writeback");
        Random r = new Random(seed);
        MemDeviceProvider mem = new MemDeviceProvider();
        Volumes plain = new Volumes(mem);
        URI disk = URI.create("mem:writeback");
        plain.mkfs(disk, VOLUME, FormatOptions.defaults());
        URI faultyUri = URI.create("faulty:" + disk);
        FaultyDeviceProvider faulty = new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null);
        // 64 pages of cache: a writeback every 32 dirty pages.
        CowVolume v = CowVolume.mount("test", faultyUri, faulty.open(faultyUri,
                org.cowstack.storage.api.device.OpenOptions.readWrite()), Volumes.SERVICES,
                org.cowstack.storage.api.volume.MountOptions.defaults(), 256 << 10);
        byte[] kept = new byte[100_000];
        r.nextBytes(kept);
        Volumes.write(v, "/kept", 0, kept);
        v.sync();
        FaultControl c = control(v);
        long writesBefore = c.writes();
        byte[] pressure = new byte[4 << 20];
        r.nextBytes(pressure);
        for (int at = 0; at < pressure.length; at += 64 << 10) {
            Volumes.write(v, "/pressure", at, Arrays.copyOfRange(pressure, at, at + (64 << 10)));
        }
        assertTrue(c.writes() - writesBefore >= 16, "writeback wrote under pressure: " + (c.writes() - writesBefore));
        assertTrue(Arrays.equals(pressure, Volumes.readAll(v, "/pressure")),
                "pages written back and evicted read back through the uncommitted mapping");
        c.seed(seed);
        c.powerCut();
        v.abandon();
        CowVolume after = plain.mount(disk);
        assertEquals(List.of(), after.audit(), "audit after the cut (seed " + seed + ")");
        assertEquals(List.of("kept"), after.list("/").stream().map(e -> e.name()).toList(),
                "only what the last commit held (seed " + seed + ")");
        assertTrue(Arrays.equals(kept, Volumes.readAll(after, "/kept")), "the synced file is intact");
        after.unmount();
        mem.deactivate();
    }

    private static FaultControl control(CowVolume v) {
        return (FaultControl) v.boundDevice();
    }
}
