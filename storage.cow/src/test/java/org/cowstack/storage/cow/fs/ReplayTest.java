package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.device.log.LogDeviceProvider;
import org.cowstack.storage.device.log.Replayer;
import org.cowstack.storage.device.log.WriteLog;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: a seeded workload of every operation the engine has runs on a {@code log:}
 * device, with a mark after each fsync-family call; the log is then replayed at every
 * flush, every mark and a seeded sample of points between flushes with the unflushed
 * writes dropped, reordered and torn. Each point must pass {@code storage:check}, mount,
 * and hold a state between the last mark and the operation in progress.
 */
class ReplayTest {
    private static final long VOLUME = 16L << 20;
    private static final int FILES = 5;
    private static final int B = ModelOps.B;

    @Test
    void everyFlushMarkAndSampledCrashPointIsCleanAndHoldsAModelState() throws IOException {
        replay(Seeds.seed("ReplayTest"), true);
    }

    /**
     * Found by a random seed in CI (2026-12-06): at a crash point after "write /f3, direct
     * write to /f1, create /f1 [NODATASUM] (over the old /f1), direct write, append /f0,
     * unlink /f4, truncate /f3, fsync /f1", block 44 of /f1 (its last, as of the last mark)
     * fails its checksum and /f1 differs from every state since the mark. Deterministic.
     * /f1 is NOCOW; an append since the mark had gone in place into the block holding the
     * committed end of file (fixed: such blocks copy, see NocowInPlaceTest).
     */
    @Test
    void crashAfterRecreatingAFile() throws IOException {
        replay(-104143905029156260L, false);
    }

    /** {@code all}: with the operations that came later (mapped stores, bitmaps); old seeds replay without. */
    /**
     * Found by a random seed in CI (2026-12-06, second stop): a sampled crash tore a mapped
     * store into a NOCOW nodatasum block (2 of 6 landed writes torn at 512 bytes); the block
     * then held old and new sectors, as on any disk, and matched no state whole. The model
     * now accepts such a mix for blocks the workload wrote since the last mark.
     */
    @Test
    void tornInPlaceWriteOfANodatasumBlock() throws IOException {
        replay(4791392932383149716L, true);
    }

    static void replay(long seed, boolean all) throws IOException {
        int ops = Integer.getInteger("storage.replay.ops", 300);
        MemDeviceProvider mem = new MemDeviceProvider();
        LogDeviceProvider logs = new LogDeviceProvider(s -> s.equals("mem") ? mem : null);
        Volumes volumes = new Volumes(logs);
        URI uri = URI.create("log:mem:replay");
        volumes.mkfs(uri, VOLUME, FormatOptions.defaults());
        WriteLog log = logs.log(uri);
        int formatted = log.mark("mkfs");
        Replays replays = new Replays(log, Map.of());
        CowVolume v = volumes.mount(uri);
        Random r = new Random(seed);
        for (int i = 0; i < ops; i++) {
            replays.run(v, next(r, v, replays.model(), all));
        }
        v.unmount();
        mem.deactivate();

        Replayer replayer = new Replayer(log);
        replays.replay(replayer, formatted, new Random(seed + 1), 2, "seed " + seed);
        System.out.printf("ReplayTest: seed %d, %d ops (%d refused), %d log entries (%d MB written), %d points"
                + " replayed (%d flushes, %d marks, %d sampled; %d with mixed blocks: partly written-back pages,"
                + " torn in-place nodatasum sectors), %d unclean,"
                + " %d mismatches; ops run by kind %s%n", seed, ops,
                replays.refused, log.size(), log.bytesWritten() >> 20, replays.points, replays.flushPoints,
                replays.markPoints, replays.sampledPoints, replays.blockMixed, replays.unclean, replays.mismatches,
                replays.kinds);
        assertEquals(List.of(), replays.failures, "seed " + seed);
        assertTrue(replays.markPoints >= 20 && replays.sampledPoints >= 50, "enough points");
    }

    /** The next operation of the seeded workload. */
    static ModelOps.Op next(Random r, CowVolume v, Map<String, byte[]> model, boolean all) {
        String path = file(r);
        String other = file(r);
        int what = r.nextInt(all ? 112 : 100);
        if (what >= 100) {
            int length = model.getOrDefault(path, new byte[0]).length;
            if (what < 106 && length > 0) {
                int at = r.nextInt(length);
                return ModelOps.mappedStore(path, at, bytes(r, 1 + r.nextInt(Math.min(length - at, 20_000))),
                        r.nextBoolean());
            }
            return ModelOps.bitmap(path, what >= 110);
        } else if (what < 18) {
            byte[] data = bytes(r, 1 + r.nextInt(r.nextInt(8) == 0 ? 100_000 : 9000));
            return ModelOps.write(path, r.nextInt(200_000), data);
        } else if (what < 28) {
            String strategy = Volumes.DIO_STRATEGIES.get(r.nextInt(Volumes.DIO_STRATEGIES.size()));
            return ModelOps.writeDirect(v, path, r.nextInt(40), bytes(r, B * (1 + r.nextInt(8))), strategy);
        } else if (what < 34) {
            boolean direct = r.nextBoolean();
            return ModelOps.append(path, bytes(r, direct ? B * (1 + r.nextInt(4)) : 1 + r.nextInt(9000)), direct);
        } else if (what < 41) {
            return ModelOps.truncate(path, r.nextInt(250_000));
        } else if (what < 53) {
            FallocateMode mode = FallocateMode.values()[r.nextInt(FallocateMode.values().length)];
            return ModelOps.fallocate(path, mode, r.nextInt(50), 1 + r.nextInt(10));
        } else if (what < 65) {
            int srcBlocks = model.getOrDefault(path, new byte[0]).length / B;
            int from = srcBlocks == 0 ? 0 : r.nextInt(srcBlocks);
            int blocks = 1 + (srcBlocks - from <= 1 ? 0 : r.nextInt(srcBlocks - from));
            return ModelOps.share(path, other, from, r.nextInt(40), blocks, what >= 60);
        } else if (what < 70) {
            return ModelOps.rename(path, other);
        } else if (what < 75) {
            return ModelOps.unlink(path);
        } else if (what < 81) {
            List<Set<FileFlag>> flags = List.of(Set.of(), Set.of(FileFlag.NOCOW), Set.of(FileFlag.NODATASUM),
                    Set.of(FileFlag.NOCOW, FileFlag.NODATASUM));
            return ModelOps.create(path, flags.get(r.nextInt(flags.size())));
        } else if (what < 93) {
            return ModelOps.fsync(path);
        }
        return ModelOps.sync();
    }

    private static String file(Random r) {
        return "/f" + r.nextInt(FILES);
    }

    private static byte[] bytes(Random r, int length) {
        byte[] b = new byte[length];
        r.nextBytes(b);
        return b;
    }
}
