package org.cowstack.storage.s3.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.s3.client.S3Proxy;
import org.cowstack.storage.s3.device.S3DeviceProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 server (s3proxy, a real process) killed with SIGKILL while the engine commits a
 * volume on {@code s3:}: in the middle of the commit's object uploads, the commit fails
 * with an I/O error and, once the server is back on the same directory, the volume holds
 * exactly its last committed state; killed once the commit's last manifest put has
 * landed, the volume holds the new state, whatever the client heard.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class S3VolumeKillTest {
    private static final long SIZE = 64L << 20;
    private static final URI VOLUME = URI.create("s3:t/vol");
    /** The blob directory of the volume under the s3proxy directory (its filesystem backend: bucket/key). */
    private static final String VOLUME_DIR = "blobs/bucket/p/vol";

    @TempDir
    Path dir;
    S3Proxy server;
    final ExecutorService committer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "commit");
        t.setDaemon(true);
        return t;
    });

    @BeforeEach
    void start() throws Exception {
        server = S3Proxy.start(dir.resolve("s3"));
        server.client("bucket").createBucket();
    }

    @AfterEach
    void stop() throws Exception {
        committer.shutdownNow();
        server.close();
    }

    private S3DeviceProvider provider(String cache) {
        return CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve(cache), 32L << 20));
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Generation A: a few files and a directory, committed. */
    private static Map<String, byte[]> generationA(CowVolume v, Random r) throws IOException {
        Map<String, byte[]> model = new TreeMap<>();
        v.mkdir("/d");
        for (int i = 0; i < 5; i++) {
            String path = (i % 2 == 0 ? "/f" : "/d/f") + i;
            byte[] data = bytes(r, 50_000 + r.nextInt(250_000));
            CrashKit.write(v, path, 0, data);
            model.put(path, data);
        }
        try (FileHandle f = v.open("/f0", CrashKit.RW)) {
            f.fsync(); // an fsync commits the volume
        }
        return model;
    }

    /** Changes after A: about 4 MiB of new and overwritten data, a truncate, a rename, an unlink. Not committed. */
    private static Map<String, byte[]> changes(CowVolume v, Random r, Map<String, byte[]> a) throws IOException {
        Map<String, byte[]> model = CrashKit.copy(a);
        byte[] big = bytes(r, 3 << 20);
        CrashKit.write(v, "/big", 0, big);
        model.put("/big", big);
        byte[] over = bytes(r, 600_000);
        CrashKit.write(v, "/f0", 10_000, over);
        byte[] f0 = new byte[Math.max(model.get("/f0").length, 10_000 + over.length)];
        System.arraycopy(model.get("/f0"), 0, f0, 0, model.get("/f0").length);
        System.arraycopy(over, 0, f0, 10_000, over.length);
        model.put("/f0", f0);
        try (FileHandle f = v.open("/d/f1", CrashKit.RW)) {
            f.truncate(1234);
        }
        model.put("/d/f1", java.util.Arrays.copyOf(model.get("/d/f1"), 1234));
        v.rename("/f2", "/d/renamed");
        model.put("/d/renamed", model.remove("/f2"));
        v.delete("/d/f3");
        model.remove("/d/f3");
        return model;
    }

    /** The volume's object files in the server's directory (not the manifest). */
    private Set<Path> objectFiles() throws IOException {
        Path d = server.dir().resolve(VOLUME_DIR);
        if (!Files.isDirectory(d)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{12}-[0-9a-f]+"))
                    .collect(Collectors.toSet());
        } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException racing) {
            return objectFiles(); // a file went away while walking (s3proxy's temporary files): again
        }
    }

    /** The generation of the manifest the server holds now, or -1 (read from its file: magic, format, size, block, object, generation). */
    private long manifestGeneration() {
        try {
            byte[] b = Files.readAllBytes(server.dir().resolve(VOLUME_DIR).resolve("manifest"));
            return b.length < 35 ? -1 : ByteBuffer.wrap(b, 27, 8).getLong();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Restarts the server on the same directory and checks that the volume holds {@code expected}. */
    private void restartAndVerify(Map<String, byte[]> expected, String what) throws Exception {
        server = S3Proxy.start(dir.resolve("s3"));
        assertEquals(List.of(), CrashKit.missingObjects(server.endpoint(), "p/vol/"),
                what + ": objects the manifest names that the store does not hold");
        S3DeviceProvider again = provider("c-after");
        try {
            List<String> problems = CrashKit.offlineCheck(again, VOLUME);
            assertEquals(List.of(), problems, what + ": storage:check of the committed image");
            CrashKit.Mounted m = CrashKit.mount(again, VOLUME);
            try {
                Map<String, byte[]> found = CrashKit.files(m.volume());
                assertTrue(CrashKit.same(expected, found), what + ": " + CrashKit.difference(expected, found));
                assertTrue(m.volume().check().clean(), what + ": online check after the mount");
            } finally {
                m.volume().unmount();
            }
            assertEquals(List.of(), CrashKit.offlineCheck(again, VOLUME), what + ": check after the unmount");
        } finally {
            again.deactivate();
        }
    }

    /** Nothing written through {@code m} reaches a store any more: its volume and device are closed, its server is gone. */
    private static void assertDead(CrashKit.Mounted m, URI oldEndpoint) {
        assertThrows(IOException.class, () -> CrashKit.write(m.volume(), "/late", 0, new byte[4096]));
        assertThrows(IOException.class, () -> m.device().write(ByteBuffer.allocate(4096), 0));
        assertThrows(IOException.class, () -> m.device().flush());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(oldEndpoint.getHost(), oldEndpoint.getPort()), 1000);
            fail("the killed server's port still answers: " + oldEndpoint);
        } catch (IOException refused) {
            // dead
        }
    }

    @Test
    void aServerKilledWhileACommitUploadsLeavesTheLastCommittedState() throws Exception {
        killDuringTheCommit(false);
    }

    /**
     * The kill as soon as the commit's first manifest (data and nodes; the superblock
     * follows in a second flush) is seen in the server's directory: every upload of that
     * flush must have landed before it, and the volume holds the last commit (or the new
     * one, when the superblock's flush also landed before the kill).
     */
    @Test
    void aServerKilledAtTheCommitsFirstManifestLeavesNoObjectMissing() throws Exception {
        killDuringTheCommit(true);
    }

    private void killDuringTheCommit(boolean atFirstManifest) throws Exception {
        String name = atFirstManifest ? "at the first manifest" : "mid-flush";
        long seed = CrashKit.seed();
        System.out.println("S3VolumeKillTest " + name + ": seed " + seed + " (replay with -Dstorage.s3.crash.seed="
                + seed + ")");
        Random r = new Random(seed);
        S3DeviceProvider p = provider("c1");
        CrashKit.mkfs(p, VOLUME, SIZE);
        CrashKit.Mounted m = CrashKit.mount(p, VOLUME);
        Map<String, byte[]> a = generationA(m.volume(), r);
        Map<String, byte[]> b = changes(m.volume(), r, a);
        Set<Path> before = objectFiles();
        long generation = manifestGeneration();
        assertTrue(generation > 0, "the manifest is readable in the server's directory: " + generation);
        Future<Object> commit = committer.submit(() -> {
            m.volume().sync();
            return null;
        });
        // Kill once some of the commit's uploads have landed (a few MiB: dozens of 64 KiB
        // objects), or at once when a manifest lands.
        int killAt = atFirstManifest ? Integer.MAX_VALUE : 4 + r.nextInt(37);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int landed = 0;
        while (!commit.isDone() && System.nanoTime() < deadline && manifestGeneration() == generation) {
            Set<Path> now = objectFiles();
            now.removeAll(before);
            landed = now.size();
            if (landed >= killAt) {
                break;
            }
            Thread.onSpinWait();
        }
        if (!atFirstManifest) {
            assertFalse(commit.isDone(), "the commit finished before " + killAt + " of its uploads were seen");
        }
        URI oldEndpoint = server.endpoint();
        server.kill();
        long killedAt = manifestGeneration(); // the server is dead: its files are final
        String heard;
        try {
            commit.get(60, TimeUnit.SECONDS);
            heard = "the commit returned";
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof IOException, "an I/O error: " + e.getCause());
            heard = "the commit failed: " + e.getCause().getMessage().lines().findFirst().orElse("");
        } catch (TimeoutException e) {
            throw new AssertionError("the commit hangs once its server is gone", e);
        }
        boolean landedWhole = killedAt >= generation + 2; // both manifests of the commit: the new state
        if (!atFirstManifest || !landedWhole) {
            assertTrue(heard.startsWith("the commit failed"), "killed before the commit's end: " + heard);
        }
        System.out.println("S3VolumeKillTest " + name + ": killed with " + landed + " new objects stored"
                + (atFirstManifest ? "" : " (kill point " + killAt + ")") + ", manifest generation " + killedAt
                + " (" + generation + " before the commit); " + heard);
        m.volume().abandon(); // a crash: nothing more is written
        p.deactivate();
        assertDead(m, oldEndpoint);
        restartAndVerify(landedWhole ? b : a, "after a kill " + name + " with manifest generation " + killedAt
                + " (" + generation + " before)");
        assertFalse(CrashKit.same(a, b), "the uncommitted changes were changes");
    }

    @Test
    void aServerKilledOnceTheCommitsManifestLandedKeepsTheNewState() throws Exception {
        long seed = CrashKit.seed();
        System.out.println("S3VolumeKillTest after the manifest: seed " + seed + " (replay with -Dstorage.s3.crash.seed=" + seed + ")");
        Random r = new Random(seed);
        S3DeviceProvider p = provider("c1");
        CrashKit.mkfs(p, VOLUME, SIZE);
        CrashKit.Mounted m = CrashKit.mount(p, VOLUME);
        Map<String, byte[]> a = generationA(m.volume(), r);
        Map<String, byte[]> b = changes(m.volume(), r, a);
        long generation = manifestGeneration();
        assertTrue(generation > 0, "the manifest is readable in the server's directory: " + generation);
        Future<Object> commit = committer.submit(() -> {
            m.volume().sync();
            return null;
        });
        // A commit flushes the device twice (data and nodes, then the superblock): two manifest puts.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (manifestGeneration() < generation + 2 && !commit.isDone() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        URI oldEndpoint = server.endpoint();
        server.kill();
        String heard;
        try {
            commit.get(60, TimeUnit.SECONDS);
            heard = "the commit returned";
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof IOException, "an I/O error: " + e.getCause());
            heard = "the commit failed (its answer was lost): " + e.getCause().getMessage();
        } catch (TimeoutException e) {
            throw new AssertionError("the commit hangs once its server is gone", e);
        }
        assertEquals(generation + 2, manifestGeneration(), "the commit's two manifests landed before the kill");
        System.out.println("S3VolumeKillTest after the manifest: killed; " + heard);
        // Later changes, never committed: the server is gone.
        IOException later = assertThrows(IOException.class, () -> {
            CrashKit.write(m.volume(), "/f4", 0, bytes(r, 200_000));
            m.volume().sync();
        });
        System.out.println("S3VolumeKillTest after the manifest: a later commit fails: " + later.getMessage());
        m.volume().abandon();
        p.deactivate();
        assertDead(m, oldEndpoint);
        restartAndVerify(b, "after a kill once the commit's manifest landed");
    }
}
