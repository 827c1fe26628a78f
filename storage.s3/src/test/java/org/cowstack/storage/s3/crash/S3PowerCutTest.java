package org.cowstack.storage.s3.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.s3.device.S3DeviceProvider;
import org.cowstack.storage.s3.device.S3Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's crash test on {@code s3:}: a seeded workload of writes, overwrites,
 * truncates, renames and unlinks with fsyncs and syncs now and then, on a volume whose
 * device reaches s3proxy through a {@link CuttingProxy} that cuts the power at the
 * N-th upload, or at the first manifest put from the N-th upload on, or at the first
 * commit point (the manifest put of the engine's superblock flush) from it on, just
 * after that upload was sent (it lands, the client never hears so) or just before (N,
 * the kind of cut and how long replaced objects are kept, from the seed): nothing after
 * it reaches the store, no answer the client. The volume and its device are then
 * abandoned, as a crash leaves them; a new device straight on the store must hold every
 * object its manifest names, pass {@code storage:check}, mount, and hold every file
 * exactly as of the last commit that returned, or, when the cut came in a commit, as of
 * that commit (its last manifest may have landed unheard).
 *
 * <p>Each round uses its own volume in one s3proxy. {@code -Dstorage.s3.crash.seed=N}
 * replays one round; {@code -Dstorage.s3.crash.rounds=R} runs R seeded rounds (5 by
 * default).
 */
class S3PowerCutTest extends OnS3Proxy {
    private static final long SIZE = 32L << 20;
    /**
     * A small device cache (4 objects): a commit that writes more objects uploads some of
     * them early, as the cache fills, before its flush names them in the manifest.
     */
    private static final long CACHE = 4 * CrashKit.OBJECT;
    private static final int FILES = 6;
    /** The cut comes at an upload in [1, MAX_CUT]: about a dozen commits' worth. */
    private static final int MAX_CUT = 250;
    private static final int MAX_OPS = 3000;
    private static final List<Integer> RETAIN = List.of(0, 1, 2, S3Store.DEFAULT_RETAIN);

    static final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "power-cut-workload");
        t.setDaemon(true);
        return t;
    });

    @AfterAll
    static void stop() {
        worker.shutdownNow();
    }

    @Test
    void everyPowerCutAtAnUploadLeavesTheLastCommitOrTheOneInFlight() throws Exception {
        String fixed = System.getProperty("storage.s3.crash.seed");
        List<Long> seeds = new ArrayList<>();
        if (fixed != null && !fixed.isBlank()) {
            seeds.add(Long.parseLong(fixed.trim()));
        } else {
            for (int i = 0; i < Integer.getInteger("storage.s3.crash.rounds", 5); i++) {
                seeds.add(ThreadLocalRandom.current().nextLong());
            }
        }
        List<String> failures = new ArrayList<>();
        int inFlight = 0;
        long start = System.nanoTime();
        for (int i = 0; i < seeds.size(); i++) {
            long seed = seeds.get(i);
            String outcome;
            try {
                outcome = round(seed, URI.create("s3:t/round" + i), "c" + i);
            } catch (AssertionError | Exception e) {
                outcome = "FAILED: " + e;
                failures.add("seed " + seed + " (replay with -Dstorage.s3.crash.seed=" + seed + "): " + e);
            }
            inFlight += outcome.contains("holds the commit in flight") ? 1 : 0;
            System.out.printf("S3PowerCutTest: seed %d (-Dstorage.s3.crash.seed=%d): %s%n", seed, seed, outcome);
        }
        System.out.printf("S3PowerCutTest: %d cut points tested (%d held the commit in flight), %d failures, %d s%n",
                seeds.size(), inFlight, failures.size(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        assertEquals(List.of(), failures);
    }

    /** The model: the files now, as of the last commit that returned, and as of the commit in flight. */
    private static final class Model {
        final Map<String, byte[]> files = new TreeMap<>();
        Map<String, byte[]> committed = new TreeMap<>();
        Map<String, byte[]> inFlight;
        int commits;
    }

    /** One operation of the workload, on the volume and the model. */
    private interface Op {
        void run(CowVolume v, Model m) throws IOException;
    }

    /** One round: mkfs, the workload through a proxy that cuts at an upload, then the check straight on the store. */
    private static String round(long seed, URI uri, String cache) throws Exception {
        Random r = new Random(seed);
        int cutAt = 1 + r.nextInt(MAX_CUT);
        // Half the cuts at a manifest put, half of those at the engine's commit point (the superblock's flush).
        CuttingProxy.At at = r.nextBoolean() ? CuttingProxy.At.ANY
                : r.nextBoolean() ? CuttingProxy.At.MANIFEST : CuttingProxy.At.COMMIT_POINT;
        boolean sendLast = r.nextBoolean(); // that upload lands unheard, or the power goes just before it is sent
        // Replaced objects deleted after 0, 1 or 2 generations (after the manifest put, and at the next open), or kept.
        int retain = RETAIN.get(r.nextInt(RETAIN.size()));
        S3DeviceProvider direct = CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve(cache + "-mkfs"), CACHE));
        CrashKit.mkfs(direct, uri, SIZE);
        direct.deactivate();

        Model model = new Model();
        List<String> history = new ArrayList<>();
        String interrupted;
        int proxyPuts;
        List<String> lastPuts;
        try (CuttingProxy proxy = new CuttingProxy(server.endpoint(), cutAt, at, sendLast)) {
            S3DeviceProvider viaProxy = CrashKit.provider(CrashKit.store(proxy.endpoint(), dir.resolve(cache), CACHE, retain));
            Future<String> run = worker.submit(() -> workload(r, viaProxy, uri, model, history));
            try {
                interrupted = run.get(120, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                run.cancel(true);
                throw new AssertionError("the workload hangs after " + history.size() + " ops, cut " + proxy.isCut(), e);
            } catch (ExecutionException e) {
                throw new AssertionError("the workload failed outside the cut after " + history.size() + " ops: "
                        + e.getCause(), e.getCause());
            }
            if (interrupted != null && !proxy.isCut()) {
                throw new AssertionError("an operation failed with no cut: " + interrupted + "; last ops " + tail(history));
            }
            if (proxy.isCut()) {
                assertTrue(proxy.awaitSettled(60), "the requests sent before the cut finish at the store");
            }
            proxyPuts = proxy.puts();
            lastPuts = proxy.lastPuts(2);
            viaProxy.deactivate();
        }
        if (interrupted == null) {
            throw new AssertionError("no cut in " + MAX_OPS + " ops (" + proxyPuts + " uploads; cut at " + cutAt + ")");
        }

        List<Map<String, byte[]>> allowed = new ArrayList<>();
        allowed.add(model.committed);
        if (model.inFlight != null) {
            allowed.add(model.inFlight);
        }
        S3DeviceProvider after = CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve(cache + "-after"), CACHE, retain));
        String which;
        try {
            String prefix = "p/" + uri.getSchemeSpecificPart().substring("t/".length()) + "/"; // the store's, the volume's
            assertEquals(List.of(), CrashKit.missingObjects(server.endpoint(), prefix),
                    "objects the manifest names that the store does not hold, after the cut at upload " + cutAt);
            List<String> problems = CrashKit.offlineCheck(after, uri);
            assertEquals(List.of(), problems, "storage:check after the cut at upload " + cutAt);
            CrashKit.Mounted mounted = CrashKit.mount(after, uri);
            try {
                Map<String, byte[]> found = CrashKit.files(mounted.volume());
                if (CrashKit.same(model.committed, found)) {
                    which = "the last commit";
                } else if (model.inFlight != null && CrashKit.same(model.inFlight, found)) {
                    which = "the commit in flight";
                } else {
                    throw new AssertionError("after the cut at upload " + cutAt + " in " + interrupted + ", the volume holds "
                            + CrashKit.describe(found) + ", neither the last commit (" + CrashKit.difference(model.committed, found)
                            + ")" + (model.inFlight == null ? "" : " nor the commit in flight ("
                                    + CrashKit.difference(model.inFlight, found) + ")")
                            + "; last uploads " + lastPuts + "; last ops " + tail(history));
                }
                assertTrue(mounted.volume().check().clean(), "online check after the mount");
            } finally {
                mounted.volume().unmount();
            }
        } finally {
            after.deactivate();
        }
        return String.format("retain %d, cut %s upload %d (%s), in op %d (%s) after %d commits: holds %s (%d files)",
                retain, sendLast ? "after sending" : "before sending", proxyPuts + (sendLast ? 0 : 1),
                at == CuttingProxy.At.ANY ? "chosen" : "the first " + (at == CuttingProxy.At.MANIFEST ? "manifest put"
                        : "commit point") + " from upload " + cutAt + " on", history.size(),
                interrupted, model.commits, which,
                (which.equals("the last commit") ? model.committed : model.inFlight).size());
    }

    private static String tail(List<String> history) {
        return history.subList(Math.max(0, history.size() - 6), history.size()).toString();
    }

    /**
     * Runs seeded operations until one fails (the cut): returns what that one was, having
     * abandoned the volume as a crash would; null when {@link #MAX_OPS} ran without a cut.
     */
    private static String workload(Random r, S3DeviceProvider provider, URI uri, Model model, List<String> history)
            throws IOException {
        CrashKit.Mounted m;
        try {
            m = CrashKit.mount(provider, uri); // the mount may commit (feature flags): a commit in flight
        } catch (IOException e) {
            history.add("mount");
            return "the mount (" + e.getMessage() + ")";
        }
        CowVolume v = m.volume();
        try {
            for (int i = 0; i < MAX_OPS; i++) {
                String[] name = new String[1];
                Op op = next(r, model, name);
                history.add(name[0]);
                try {
                    op.run(v, model);
                } catch (IOException e) {
                    return name[0] + ": " + e.getMessage().lines().findFirst().orElse("");
                }
            }
            return null;
        } finally {
            v.abandon(); // a crash: the device is closed, nothing more goes to the store
        }
    }

    private static String path(Random r) {
        int i = r.nextInt(FILES);
        return (i % 3 == 2 ? "/d/f" : "/f") + i;
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** The next operation (its description in {@code name[0]}). */
    private static Op next(Random r, Model model, String[] name) {
        String path = path(r);
        int what = r.nextInt(100);
        if (model.commits == 0 && !model.files.containsKey("/d")) {
            name[0] = "mkdir /d";
            return (v, m) -> {
                v.mkdir("/d");
                m.files.put("/d", null); // a marker: the directory exists (not a file; left out of the states)
            };
        }
        if (what < 35) {
            int offset = r.nextInt(r.nextInt(4) == 0 ? 400_000 : 100_000);
            byte[] data = bytes(r, 1 + r.nextInt(r.nextInt(6) == 0 ? 300_000 : 40_000));
            name[0] = "write " + path + " " + offset + "+" + data.length;
            return (v, m) -> {
                CrashKit.write(v, path, offset, data);
                byte[] old = m.files.getOrDefault(path, new byte[0]);
                byte[] now = Arrays.copyOf(old, Math.max(old.length, offset + data.length));
                System.arraycopy(data, 0, now, offset, data.length);
                m.files.put(path, now);
            };
        } else if (what < 45) {
            int size = r.nextInt(300_000);
            name[0] = "truncate " + path + " " + size;
            return (v, m) -> {
                try (FileHandle f = v.open(path, CrashKit.RW)) {
                    f.truncate(size);
                }
                m.files.put(path, Arrays.copyOf(m.files.getOrDefault(path, new byte[0]), size));
            };
        } else if (what < 55) {
            String to = path(r);
            name[0] = "rename " + path + " " + to;
            return (v, m) -> {
                if (m.files.get(path) == null || path.equals(to)) {
                    return;
                }
                v.rename(path, to);
                m.files.put(to, m.files.remove(path));
            };
        } else if (what < 62) {
            name[0] = "unlink " + path;
            return (v, m) -> {
                if (m.files.get(path) == null) {
                    return;
                }
                v.delete(path);
                m.files.remove(path);
            };
        } else if (what < 68) {
            name[0] = "create-truncate " + path;
            return (v, m) -> {
                try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING))) {
                    f.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
                }
                m.files.put(path, new byte[] {1, 2, 3});
            };
        } else if (what < 82) {
            name[0] = "fsync " + path;
            return (v, m) -> commit(m, () -> {
                if (m.files.get(path) == null) {
                    v.sync(); // no such file: a sync instead
                    return;
                }
                try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
                    f.fsync();
                }
            });
        } else if (what < 90) {
            name[0] = "sync";
            return (v, m) -> commit(m, v::sync);
        }
        int offset = r.nextInt(200_000);
        byte[] data = bytes(r, 1 + r.nextInt(8192));
        name[0] = "overwrite " + path + " " + offset + "+" + data.length;
        return (v, m) -> {
            byte[] old = m.files.get(path);
            if (old == null || old.length == 0) {
                return;
            }
            int at = offset % old.length;
            int n = Math.min(data.length, old.length - at);
            CrashKit.write(v, path, at, Arrays.copyOf(data, n));
            byte[] now = old.clone();
            System.arraycopy(data, 0, now, at, n);
            m.files.put(path, now);
        };
    }

    private interface Commit {
        void run() throws IOException;
    }

    /** A commit: the state it makes durable is in flight until it returns, then the last commit. */
    private static void commit(Model m, Commit c) throws IOException {
        m.inFlight = states(m.files);
        c.run();
        m.committed = m.inFlight;
        m.inFlight = null;
        m.commits++;
    }

    /** The files of the model (without the directory marker), copied. */
    private static Map<String, byte[]> states(Map<String, byte[]> files) {
        Map<String, byte[]> out = new TreeMap<>();
        files.forEach((p, b) -> {
            if (b != null) {
                out.put(p, b.clone());
            }
        });
        return out;
    }
}
