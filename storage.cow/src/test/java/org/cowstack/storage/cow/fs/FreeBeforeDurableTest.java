package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.inspect.Check;
import org.cowstack.storage.device.log.LogDeviceProvider;
import org.cowstack.storage.device.log.Replayer;
import org.cowstack.storage.device.log.WriteLog;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: blocks a commit frees are reusable only once that commit is durable. A
 * commit writes its data and nodes and its superblock after it lets the next
 * transaction run, and a direct write (or a writeback) of the next transaction
 * allocates and writes meanwhile; were the commit's frees reusable before its
 * superblock is on the device, that write could land in blocks the previous superblock
 * still maps, and a power cut before the new superblock leaves the last durable state
 * pointing at someone else's data.
 *
 * <p>Deterministic, not timed: the volume is on a {@code log:} RAM disk behind a
 * {@link GatedDevice}, which holds the commit's first flush (after its data and nodes,
 * before its superblock). While it is held, another file is written into the next
 * transaction, directly or by a stream's write-behind, and first-fit places it where
 * the blocks the commit frees lie (an overwritten file's old copy; the second copies of
 * replaced nodes). The image the write log holds at that moment (everything written so
 * far landed, the new superblock not) must then pass {@code storage:check}, mount, and
 * hold the last durable state, block by block with valid checksums. Each test asserts
 * first that the scenario happened: the commit still held, the other write on the
 * device after the commit's writes with no flush between, and its placement (first-fit
 * from where the freed blocks lie), so that none passes for want of a reuse.
 *
 * <p>Each caught the engine mutation that makes the frees reusable when the commit takes
 * them ({@code core.space.release(frees)} moved up to {@code takePending()} in
 * {@code Committer.commit}): the data tests read the old copy's blocks back with
 * failing checksums, the node test's check finds the nodes' second copies overwritten.
 * Once the commit is done, the live volume, its audit and a remount hold the new state.
 */
class FreeBeforeDurableTest {
    private static final int B = 4096;
    private static final long SIZE = 16L << 20;

    private final MemDeviceProvider mem = new MemDeviceProvider();
    private final LogDeviceProvider logs = new LogDeviceProvider(s -> s.equals("mem") ? mem : null);
    private final Volumes logged = new Volumes(logs);
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
    private URI uri;
    private WriteLog log;
    private GatedDevice device;
    private CowVolume v;

    /**
     * Where a new file's first block asks to go on a volume of {@code size} bytes: past
     * the first sixteenth of the device, which metadata nodes fill ({@code
     * Allocator.dataStart}). First-fit takes the first free extent from there.
     */
    private static long dataStart(long size) {
        return size / B / 16;
    }

    private void mount(String name) throws IOException {
        mount(name, SIZE);
    }

    private void mount(String name, long size) throws IOException {
        uri = URI.create("log:mem:" + name + "-" + System.nanoTime());
        logged.mkfs(uri, size, FormatOptions.defaults());
        log = logs.log(uri);
        device = new GatedDevice(logs.open(uri, OpenOptions.readWrite()));
        v = CowVolume.mount("test", uri, device, Volumes.SERVICES,
                MountOptions.defaults().allocationPolicy("first-fit").dioStrategy("bounce"),
                CowVolume.DEFAULT_CACHE_BYTES);
        assertEquals("first-fit", v.allocationPolicy(), "first-fit takes the lowest free blocks from the hint on");
    }

    @AfterEach
    void release() throws IOException {
        if (device != null) {
            device.flushRelease.countDown(); // a test that failed while the commit was held
        }
        if (v != null && !v.isClosed()) {
            v.abandon();
        }
        pool.shutdownNow();
        mem.deactivate();
    }

    /** A commit of the running transaction, on its way: its data and nodes are written, its first flush is held. */
    private final class Paused {
        final Future<?> commit;
        /** Log entries when the commit started, and when its flush was held. */
        final int started;
        final int held;

        Paused() throws InterruptedException {
            device.holdFlush.set(true);
            started = log.size();
            commit = pool.submit(() -> {
                v.sync();
                return null;
            });
            assertTrue(device.flushInside.await(30, TimeUnit.SECONDS), "the commit reached its first flush");
            held = log.size();
            assertTrue(held > started, "the commit wrote its data and nodes before its flush");
        }

        /**
         * The image of the device now, had the power failed: everything written so far
         * landed, the commit's superblock not (it follows the held flush). Asserts first
         * that the scenario happened: the commit is still held, and {@code bytes} more
         * were written after its own writes, with no flush between.
         */
        byte[] powerCut(long bytes) {
            assertFalse(commit.isDone(), "the commit is still held before its superblock");
            int now = log.size();
            long written = 0;
            for (int i = started; i < now; i++) {
                WriteLog.Entry e = log.get(i);
                assertFalse(e.kind() == WriteLog.Kind.FLUSH, "no flush since the commit started (entry " + i + ")");
                if (i >= held && e.kind() == WriteLog.Kind.WRITE) {
                    written += e.length();
                }
            }
            assertTrue(written >= bytes, "the other write reached the device while the commit was held: "
                    + written + " of " + bytes + " bytes");
            return new Replayer(log).after(now);
        }

        void finish() throws Exception {
            device.flushRelease.countDown();
            commit.get(30, TimeUnit.SECONDS);
        }
    }

    /** The image must pass {@code storage:check}, mount, and hold {@code durable} (the last commit before the cut). */
    private static void assertHolds(byte[] image, Map<String, byte[]> durable, String what) throws IOException {
        BlockDevice d = Replayer.device(URI.create("image:cut"), image, B);
        Check.Result check = CowVolume.check(d, Volumes.SERVICES);
        assertTrue(check.clean(), what + ": check of the image cut before the commit's superblock: "
                + check.problems());
        CowVolume after = CowVolume.mount("cut", URI.create("image:cut"), d, Volumes.SERVICES,
                MountOptions.defaults(), 4L << 20);
        try {
            FileStates.Found found = FileStates.readBlocks(after, B);
            Map<String, String> lost = new TreeMap<>();
            found.lost().forEach((path, blocks) -> lost.put(path, blocks.cardinality() + " blocks from block "
                    + blocks.nextSetBit(0)));
            assertEquals(Map.of(), lost, what + ": blocks that fail their checksum after the cut");
            assertTrue(FileStates.same(durable, found.files()), what + ": after the cut the volume holds "
                    + FileStates.describe(found.files()) + ", not its last commit: "
                    + FileStates.difference(durable, found.files()));
        } finally {
            after.abandon();
        }
    }

    private void assertLive(Map<String, byte[]> files, String what) throws IOException {
        assertTrue(FileStates.same(files, FileStates.read(v)), what + ": " + FileStates.difference(files,
                FileStates.read(v)));
        assertEquals(List.of(), v.audit(), what + ": audit");
        v.unmount();
        CowVolume again = logged.mount(uri);
        try {
            assertTrue(FileStates.same(files, FileStates.read(again)), what + " after a remount: "
                    + FileStates.difference(files, FileStates.read(again)));
            assertEquals(List.of(), again.check().problems(), what + " after a remount: check");
        } finally {
            again.unmount();
        }
    }

    private static byte[] random(Random r, int bytes) {
        byte[] b = new byte[bytes];
        r.nextBytes(b);
        return b;
    }

    private static List<ExtentMapping> extents(CowVolume v, String path, long length) throws IOException {
        try (FileHandle f = v.open(path, Volumes.RW)) {
            return f.extents(0, length);
        }
    }

    private static void writeDirect(CowVolume v, String path, byte[] data) throws IOException {
        try (FileHandle f = v.open(path, Volumes.RW)) {
            assertEquals(data.length, f.writeDirect(ByteBuffer.wrap(data), 0), "the direct write of " + path);
        }
    }

    /**
     * An overwritten file's old copy is freed by the commit of the overwrite. While that
     * commit is held before its superblock, a new file written directly asks first-fit
     * for blocks from the start of the data area, where the old copy lies: it must get
     * others, since the durable superblock still maps the old copy.
     */
    @Test
    void dataACommitFreesIsNotReusedBeforeItsSuperblockIsDurable() throws Exception {
        mount("free-data");
        Random r = new Random(21);
        byte[] first = random(r, 64 * B);
        Volumes.write(v, "/x", 0, first);
        v.sync();
        List<ExtentMapping> old = extents(v, "/x", first.length);
        assertEquals(1, old.size(), "one extent: " + old);
        assertEquals(dataStart(SIZE) * B, old.get(0).physical(),
                "the first file's data starts the data area, where the next new file asks to go: " + old);

        byte[] second = random(r, first.length);
        Volumes.write(v, "/x", 0, second); // copied on write: the old copy is freed by the next commit
        Paused paused = new Paused();
        byte[] y = random(r, first.length);
        writeDirect(v, "/y", y);
        List<ExtentMapping> placed = extents(v, "/y", y.length);
        byte[] image = paused.powerCut(y.length);

        assertHolds(image, Map.of("/x", first), "a direct write placed at " + placed + " while the commit that frees "
                + old + " was held");
        paused.finish();
        assertLive(Map.of("/x", second, "/y", y), "once the commit is done");
    }

    /**
     * As above, the next transaction's data written back instead: a stream's write-behind
     * places its pages under the commit lock that the held commit gave back for its
     * writes, and writes them at once, a run of 4 MiB that first-fit puts where a 4 MiB
     * old copy freed by the commit lies, were it free.
     */
    @Test
    void dataACommitFreesIsNotWrittenBackOverBeforeItsSuperblockIsDurable() throws Exception {
        long size = 32L << 20; // room for the stream's promises beside both copies of the file
        mount("free-writeback", size);
        Random r = new Random(2122);
        int mib = 1 << 20;
        byte[] first = random(r, 4 * mib);
        Volumes.write(v, "/x", 0, first);
        v.sync();
        List<ExtentMapping> old = extents(v, "/x", first.length);
        assertEquals(1, old.size(), "one extent: " + old);
        assertEquals(dataStart(size) * B, old.get(0).physical(),
                "the first file's data starts the data area, where the next new file asks to go: " + old);

        byte[] second = random(r, first.length);
        Volumes.write(v, "/x", 0, second); // one write, no stream: its pages wait for the commit
        Paused paused = new Paused();
        byte[] y = random(r, 5 * mib);
        try (FileHandle f = v.open("/y", Volumes.RW)) {
            for (int i = 0; i < 5; i++) {
                f.write(ByteBuffer.wrap(y, i * mib, mib), (long) i * mib); // the fifth writes the first four behind
            }
        }
        List<ExtentMapping> placed = extents(v, "/y", 4L * mib);
        byte[] image = paused.powerCut(4L * mib);

        assertHolds(image, Map.of("/x", first), "a stream written behind at " + placed
                + " while the commit that frees " + old + " was held");
        paused.finish();
        assertLive(Map.of("/x", second, "/y", y), "once the commit is done");
    }

    /**
     * A commit that only changes metadata frees the nodes it copied, in both copies (the
     * default metadata profile is {@code dup}: second copies fill the last sixteenth of the
     * device). While it is held before its superblock, a direct write takes every block a
     * write may be promised: first-fit gives it the data area's free blocks in order, to
     * the end of the device, where the freed second copies lie among the others. It must
     * leave the nodes that the durable superblock still reads alone. (The first copies,
     * at the start of the device, are where the next transaction's own nodes go first:
     * those are written by its commit, after this one.)
     */
    @Test
    void nodesACommitFreesAreNotReusedBeforeItsSuperblockIsDurable() throws Exception {
        mount("free-nodes");
        Random r = new Random(2121);
        byte[] x = random(r, 16 * B);
        Volumes.write(v, "/x", 0, x);
        v.sync();
        TreeSet<Long> committed = nodeBlocks(v);

        // Nodes only: directory entries, an inode. The file written below is created here, so
        // that the next transaction allocates no node before that write's data.
        v.rename("/x", "/moved");
        Volumes.write(v, "/y", 0, new byte[0]);
        Paused paused = new Paused();
        TreeSet<Long> freed = new TreeSet<>(committed);
        freed.removeAll(nodeBlocks(v)); // the held commit's trees: the running transaction changed nothing yet
        TreeSet<Long> freedAmongData = new TreeSet<>(freed.tailSet(dataStart(SIZE)));
        assertFalse(freedAmongData.isEmpty(), "the commit frees nodes of the last one past the metadata area: "
                + freed);

        byte[] y;
        try (FileHandle f = v.open("/y", Volumes.RW)) {
            y = random(r, Math.toIntExact(v.space().free()));
            assertEquals(y.length, f.writeDirect(ByteBuffer.wrap(y), 0), "the direct write of every available block");
        }
        List<ExtentMapping> placed = extents(v, "/y", y.length);
        SortedMap<Long, Long> free = v.freeExtents();
        assertEquals(Map.of(), free.tailMap(dataStart(SIZE)), "the direct write took every free block past the "
                + "metadata area, among them those around the freed nodes " + freedAmongData + ": placed at " + placed);
        byte[] image = paused.powerCut(y.length);

        assertHolds(image, Map.of("/x", x), "a direct write placed at " + placed + " while the commit that frees"
                + " nodes " + freed + " was held");
        paused.finish();
        assertLive(Map.of("/moved", x, "/y", y), "once the commit is done");
    }

    /** The blocks of every node of every tree (both copies), as the running transaction has them. */
    private static TreeSet<Long> nodeBlocks(CowVolume v) throws IOException {
        TreeSet<Long> blocks = new TreeSet<>();
        for (BTree t : v.trees()) {
            t.forEachNode(n -> {
                blocks.add(n.block());
                if (n.mirror() != 0) {
                    blocks.add(n.mirror());
                }
            });
        }
        return blocks;
    }
}
