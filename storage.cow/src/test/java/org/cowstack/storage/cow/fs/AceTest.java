package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.device.log.Replayer;
import org.cowstack.storage.device.log.WriteLog;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, after CrashMonkey's Ace: crash bugs need at most three operations on a fresh
 * file system, followed by an fsync-family call. Every workload of one to three core
 * operations, each followed by nothing, an fsync of its file or a sync (the last always
 * by one of the two), runs on a logged copy of a small volume holding a NOCOW file
 * {@code /a}, its NOCOW clone {@code /c} and a plain file {@code /b} (a mapped store and a
 * dirty bitmap are among the operations: each point then checks the bitmap covers every
 * change since it was added); its log is replayed
 * at every flush, every mark, and crashes between flushes (Replays). The default run
 * takes every workload of up to two operations and those of three that persist only at
 * the end; {@code -Dstorage.ace.full=true} takes every persistence choice for three, and
 * {@code -Dstorage.ace.shard=K/N} runs one N-th of them.
 */
class AceTest {
    private static final long VOLUME = 4L << 20;
    private static final int B = ModelOps.B;
    /** Workloads of three operations take the first of these core operations only, unless full. */
    private static final int THREE_OP_CORES = 8;

    /** A core operation; built for the volume it runs on (direct writes set its DIO strategy). */
    private record Core(String file, Function<CowVolume, ModelOps.Op> op) {
    }

    private static List<Core> cores() {
        return List.of(
                new Core("/a", v -> ModelOps.write("/a", 0, fill(B, 0x11))), // in place once /c is unshared
                new Core("/b", v -> ModelOps.write("/b", 5000, fill(100, 0x12))),
                new Core("/b", v -> ModelOps.writeDirect(v, "/b", 1, fill(B, 0x13), "direct")),
                new Core("/b", v -> ModelOps.truncate("/b", 6000)),
                new Core("/b", v -> ModelOps.fallocate("/b", FallocateMode.PUNCH_HOLE, 0, 2)),
                new Core("/c", v -> ModelOps.fallocate("/c", FallocateMode.UNSHARE, 0, 4)),
                new Core("/d", v -> ModelOps.share("/b", "/d", 0, 1, 2, false)),
                new Core("/d", v -> ModelOps.rename("/b", "/d")),
                // two-operation workloads only (unless full):
                new Core("/c", v -> ModelOps.unlink("/c")),
                new Core("/a", v -> ModelOps.writeDirect(v, "/a", 2, fill(B, 0x14), "nodatasum")),
                new Core("/b", v -> ModelOps.append("/b", fill(B, 0x15), true)),
                new Core("/a", v -> ModelOps.truncate("/a", 9 * B)),
                new Core("/b", v -> ModelOps.fallocate("/b", FallocateMode.ZERO_RANGE, 3, 3)),
                new Core("/b", v -> ModelOps.fallocate("/b", FallocateMode.ALLOCATE, 4, 2)),
                new Core("/d", v -> ModelOps.share("/b", "/d", 1, 0, 1, true)),
                new Core("/e", v -> ModelOps.create("/e", Set.of(FileFlag.NOCOW))),
                new Core("/a", v -> ModelOps.mappedStore("/a", 1000, fill(5000, 0x17), false)),
                new Core("/b", v -> ModelOps.bitmap("/b", false))); // then every point checks its bits
    }

    /** More operations for the long run: the other fallocate modes, NODATASUM, unlink of the source. */
    private static List<Core> more() {
        return List.of(
                new Core("/b", v -> ModelOps.fallocate("/b", FallocateMode.ALLOCATE_KEEP_SIZE, 6, 2)),
                new Core("/a", v -> ModelOps.fallocate("/a", FallocateMode.ZERO_RANGE_KEEP_SIZE, 1, 1)),
                new Core("/a", v -> ModelOps.append("/a", fill(700, 0x16), false)),
                new Core("/f", v -> ModelOps.create("/f", Set.of(FileFlag.NODATASUM))),
                new Core("/a", v -> ModelOps.unlink("/a")));
    }

    @Test
    void everyWorkloadOfUpToThreeOperationsIsCleanAtEveryCrashPoint() throws IOException {
        boolean full = Boolean.getBoolean("storage.ace.full");
        long seed = Seeds.seed("AceTest");
        List<Core> cores = new ArrayList<>(cores());
        if (full) {
            cores.addAll(more());
        }
        Map<String, byte[]> initial = new TreeMap<>();
        byte[] base = setUp(initial);
        Random random = new Random(seed);
        int workloads = 0;
        int nocowLost = 0;
        int failed = 0;
        int blockMixed = 0;
        long points = 0;
        List<String> failures = new ArrayList<>();
        // -Dstorage.ace.shard=K/N runs every N-th workload from the K-th (0-based): the full
        // run split across processes or machines; their figures add up
        String[] shard = System.getProperty("storage.ace.shard", "0/1").split("/");
        int shardIndex = Integer.parseInt(shard[0].trim());
        int shards = Integer.parseInt(shard[1].trim());
        List<List<int[]>> all = workloads(cores.size(), full);
        for (int k = shardIndex; k < all.size(); k += shards) {
            List<int[]> w = all.get(k);
            workloads++;
            Replays replays = run(base, initial, cores, w);
            replays.replay(new Replayer(replays.log(), base), 0, random, 1, "workload " + describe(cores, w));
            points += replays.points;
            nocowLost += replays.nocowLost;
            blockMixed += replays.blockMixed;
            failed += replays.unclean + replays.mismatches;
            if (failures.size() < 5) {
                failures.addAll(replays.failures.subList(0, Math.min(replays.failures.size(), 5 - failures.size())));
            }
        }
        System.out.printf("AceTest: seed %d, %d core operations%s, %d workloads%s, %d crash points (%d with NOCOW blocks"
                + " overwritten in place failing their checksum, %d of partly written-back pages), %d failures%n", seed,
                cores.size(), full ? " (full)" : "", workloads,
                shards == 1 ? "" : " (shard " + shardIndex + "/" + shards + " of " + all.size() + ")", points,
                nocowLost, blockMixed, failed);
        assertEquals(List.of(), failures, "seed " + seed);
        assertTrue(workloads * shards >= 1000, "workloads: " + workloads);
    }

    /**
     * Every workload: a list of (core operation, persistence) with persistence 0 none, 1
     * fsync of the operation's file, 2 sync; the last persists. Three operations persist
     * only at the end unless {@code full}.
     */
    private static List<List<int[]>> workloads(int cores, boolean full) {
        List<List<int[]>> out = new ArrayList<>();
        for (int length = 1; length <= 3; length++) {
            int[] ops = new int[length];
            int[] persist = new int[length];
            enumerate(out, ops, persist, 0, full || length < 3 ? cores : Math.min(cores, THREE_OP_CORES),
                    full || length < 3);
        }
        return out;
    }

    private static void enumerate(List<List<int[]>> out, int[] ops, int[] persist, int at, int cores, boolean midway) {
        if (at == ops.length) {
            List<int[]> w = new ArrayList<>();
            for (int i = 0; i < ops.length; i++) {
                w.add(new int[] {ops[i], persist[i]});
            }
            out.add(w);
            return;
        }
        boolean last = at == ops.length - 1;
        for (int op = 0; op < cores; op++) {
            for (int p = last ? 1 : 0; p <= (last || midway ? 2 : 0); p++) {
                ops[at] = op;
                persist[at] = p;
                enumerate(out, ops, persist, at + 1, cores, midway);
            }
        }
    }

    /** Runs a workload on a logged copy of the base image; abandons the volume as a crash after it would. */
    private static Replays run(byte[] base, Map<String, byte[]> initial, List<Core> cores, List<int[]> w)
            throws IOException {
        WriteLog log = new WriteLog(base.length, B);
        URI uri = URI.create("image:ace");
        BlockDevice d = log.record(Replayer.device(uri, base.clone(), B));
        CowVolume v = CowVolume.mount("ace", uri, d, Volumes.SERVICES, MountOptions.defaults(), 4L << 20);
        Replays replays = new Replays(log, initial);
        try {
            for (int[] step : w) {
                Core core = cores.get(step[0]);
                replays.run(v, core.op().apply(v));
                if (step[1] == 1) {
                    replays.run(v, ModelOps.fsync(core.file()));
                } else if (step[1] == 2) {
                    replays.run(v, ModelOps.sync());
                }
            }
        } finally {
            v.abandon();
        }
        return replays;
    }

    /** The fresh volume every workload starts from: /a NOCOW, /c its NOCOW clone, /b plain; synced. */
    private static byte[] setUp(Map<String, byte[]> model) throws IOException {
        byte[] image = new byte[(int) VOLUME];
        URI uri = URI.create("image:ace-base");
        try (BlockDevice d = Replayer.device(uri, image, B)) {
            CowVolume.format(d, FormatOptions.defaults().size(VOLUME), Volumes.SERVICES, "first-fit");
        }
        CowVolume v = CowVolume.mount("ace", uri, Replayer.device(uri, image, B), Volumes.SERVICES,
                MountOptions.defaults(), 4L << 20);
        ModelOps.create("/a", Set.of(FileFlag.NOCOW)).apply(v, model);
        ModelOps.write("/a", 0, pattern(4 * B, 1)).apply(v, model);
        ModelOps.create("/c", Set.of(FileFlag.NOCOW)).apply(v, model);
        ModelOps.sync().apply(v, model);
        if (!ModelOps.share("/a", "/c", 0, 0, 4, false).apply(v, model)) {
            throw new AssertionError("the setup clone was refused");
        }
        ModelOps.write("/b", 0, pattern(6 * B, 2)).apply(v, model);
        v.unmount();
        return image;
    }

    private static String describe(List<Core> cores, List<int[]> w) {
        StringBuilder s = new StringBuilder();
        for (int[] step : w) {
            s.append(step[0]).append(step[1] == 0 ? "" : step[1] == 1 ? "+fsync" : "+sync").append(' ');
        }
        return s.toString().trim();
    }

    private static byte[] fill(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static byte[] pattern(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }
}
