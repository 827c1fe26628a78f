package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.inspect.Check;
import org.cowstack.storage.device.log.Replayer;
import org.cowstack.storage.device.log.WriteLog;

/**
 * Runs a workload on a logged volume, remembering the model state after each operation
 * and where in the log it was reached (with a mark after every fsync-family call), then
 * replays the log at crash points: each must pass {@code storage:check} before mounting,
 * mount, and hold the files of a state between the last mark before the point and the
 * operation in progress there (xfstests generic/455 and 482, with our model).
 */
final class Replays {
    private static final long CACHE = 4L << 20;

    private final WriteLog log;
    private final Map<String, byte[]> model = new TreeMap<>();
    private final List<Map<String, byte[]>> states = new ArrayList<>();
    private final List<Integer> started = new ArrayList<>();
    private final List<Integer> reached = new ArrayList<>();
    private final List<Boolean> durable = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    /** Per state, the inode of each path (renames move contents between paths; lost blocks follow files). */
    private final List<Map<String, Long>> inodes = new ArrayList<>();
    private static final long UNKNOWN = -1;
    int refused;
    /** Operations run and not refused, by kind (the first word of their name). */
    final Map<String, Integer> kinds = new TreeMap<>();
    int points;
    int flushPoints;
    int markPoints;
    int sampledPoints;
    final List<String> failures = new ArrayList<>();
    int unclean;
    int mismatches;
    /**
     * Points that held no state as a whole but blocks of allowed states: a commit of partly
     * written-back pages, or sectors of a torn in-place write of a nodatasum block.
     */
    int blockMixed;
    /** Points where blocks overwritten in place since the last mark failed their checksum (documented for NOCOW). */
    int nocowLost;

    /** {@code initial}: the durable files when the log starts. */
    Replays(WriteLog log, Map<String, byte[]> initial) throws IOException {
        this.log = log;
        model.putAll(FileStates.copy(initial));
        record(null, "start", log.size(), true);
    }

    WriteLog log() {
        return log;
    }

    Map<String, byte[]> model() {
        return model;
    }

    /** Runs one operation; after an fsync-family call, places a mark and makes its state the durable one. */
    void run(CowVolume v, ModelOps.Op op) throws IOException {
        int start = log.size();
        if (!op.apply(v, model)) {
            refused++;
        } else {
            kinds.merge(op.name().replaceAll("[ (].*", ""), 1, Integer::sum);
        }
        if (op.persists()) {
            log.mark(op.name());
        }
        record(v, op.name(), start, op.persists());
    }

    private void record(CowVolume v, String name, int start, boolean isDurable) throws IOException {
        Map<String, Long> ids = new TreeMap<>();
        for (String path : ModelOps.files(model).keySet()) {
            ids.put(path, v == null ? UNKNOWN : v.stat(path).inode()); // the initial files: known by path
        }
        inodes.add(ids);
        states.add(FileStates.copy(model));
        names.add(name);
        started.add(start);
        reached.add(log.size());
        durable.add(isDurable);
    }

    /** The states a crash at point {@code n} may show. */
    List<Map<String, byte[]>> allowed(int n) {
        return allowedIndexes(n).stream().map(states::get).toList();
    }

    /** Per found path, the file's content in each allowed state where it exists, under the name it had there. */
    private Map<String, List<byte[]>> sameFile(int n, CowVolume found, Map<String, byte[]> files) throws IOException {
        Map<String, List<byte[]>> out = new TreeMap<>();
        for (String path : files.keySet()) {
            long ino = found.stat(path).inode();
            List<byte[]> contents = new ArrayList<>();
            for (int k : allowedIndexes(n)) {
                inodes.get(k).forEach((p, i) -> {
                    if (i == ino || (i == UNKNOWN && p.equals(path))) {
                        contents.add(states.get(k).get(p));
                    }
                });
            }
            out.put(path, contents);
        }
        return out;
    }

    private List<Integer> allowedIndexes(int n) {
        int lo = 0;
        for (int k = 0; k < states.size(); k++) {
            if (durable.get(k) && reached.get(k) <= n) {
                lo = k;
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int k = lo; k < states.size() && (k == lo || started.get(k) < n); k++) {
            out.add(k);
        }
        return out;
    }

    /** The operations done up to point {@code n}, for failure messages. */
    private String history(int n) {
        List<String> done = new ArrayList<>();
        for (int k = 1; k < states.size() && started.get(k) < n; k++) {
            done.add(names.get(k));
        }
        int shown = Integer.getInteger("storage.replay.history", 8); // -D to see more of a failure's past
        return (done.size() > shown ? "... " : "") + done.subList(Math.max(0, done.size() - shown), done.size());
    }

    /**
     * Replays every point from {@code from}: after each flush and each mark with every
     * write landed, and {@code samples} crashes per interval between flushes with the
     * unflushed writes dropped, reordered and torn ({@code random} decides).
     */
    void replay(Replayer replayer, int from, Random random, int samples, String what) throws IOException {
        int lastFlush = from;
        for (int i = from; i < log.size(); i++) {
            WriteLog.Kind kind = log.get(i).kind();
            if (kind == WriteLog.Kind.FLUSH) {
                for (int s = 0; s < samples && i > lastFlush; s++) {
                    int n = lastFlush + 1 + random.nextInt(i - lastFlush);
                    StringBuilder outcome = new StringBuilder();
                    verify(replayer.crash(n, random, outcome), n, what + ", crash at " + n + " (" + outcome + ")");
                    sampledPoints++;
                }
                lastFlush = i;
                verify(replayer.after(i + 1), i + 1, what + ", after the flush at " + i);
                flushPoints++;
            } else if (kind == WriteLog.Kind.MARK) {
                verify(replayer.after(i), i, what + ", at mark " + log.get(i).label());
                markPoints++;
            }
        }
    }

    private void verify(byte[] image, int n, String where) throws IOException {
        points++;
        URI uri = URI.create("image:replay");
        BlockDevice d = Replayer.device(uri, image, log.blockSize());
        Check.Result check;
        try {
            check = CowVolume.check(d, Volumes.SERVICES);
        } catch (IOException | RuntimeException e) {
            fail(where, "check failed: " + e, n, true);
            return;
        }
        if (!check.clean()) {
            fail(where, "check: " + check.problems(), n, true);
            return;
        }
        CowVolume v;
        try {
            v = CowVolume.mount("replay", uri, d, Volumes.SERVICES, MountOptions.defaults(), CACHE);
        } catch (IOException | RuntimeException e) {
            fail(where, "mount failed: " + e, n, true);
            return;
        }
        try {
            FileStates.Found read = FileStates.readBlocks(v, ModelOps.B);
            Map<String, byte[]> found = read.files();
            List<Map<String, byte[]>> withBitmaps = allowed(n);
            List<Map<String, byte[]>> allowed = withBitmaps.stream().map(ModelOps::files).toList();
            String bitmaps = FileStates.bitmapMisses(v, found, withBitmaps);
            if (bitmaps != null) {
                fail(where, bitmaps, n, false);
                return;
            }
            if (!read.lost().isEmpty()
                    && FileStates.blockMix(allowed, found, read.lost(), sameFile(n, v, found), ModelOps.B)) {
                nocowLost++;
            } else if (read.lost().isEmpty() && !FileStates.oneOf(allowed, found)
                    && FileStates.blockMix(allowed, found, ModelOps.B)) {
                blockMixed++;
            } else if (!read.lost().isEmpty() || !FileStates.oneOf(allowed, found)) {
                fail(where, "holds " + FileStates.describe(found) + ", no state since the last mark; "
                        + allowed.stream().map(a -> FileStates.difference(a, found)).toList() + ", unreadable blocks "
                        + read.lost(), n, false);
            }
        } catch (IOException | RuntimeException e) {
            fail(where, "read failed: " + e, n, true);
        } finally {
            v.abandon();
        }
    }

    private void fail(String where, String what, int n, boolean isUnclean) {
        if (isUnclean) {
            unclean++;
        } else {
            mismatches++;
        }
        if (failures.size() < 5) {
            failures.add(where + ": " + what + " after " + history(n));
        }
    }
}
