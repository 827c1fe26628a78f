package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.bitmap.Backup;
import org.cowstack.storage.api.bitmap.BackupSync;
import org.cowstack.storage.api.bitmap.BitmapException;
import org.cowstack.storage.api.bitmap.BitmapInfo;
import org.cowstack.storage.api.bitmap.BitmapMode;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.bitmap.BitmapSync;
import org.cowstack.storage.api.bitmap.DirtyBitmaps;
import org.cowstack.storage.api.bitmap.DirtyRange;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.junit.jupiter.api.Test;

/** Dirty bitmaps: what every mutation records, qemu's state table, persistence, remount and crash rules. */
class BitmapsTest {
    private static final int K = 1024;
    private static final long G = 64 * K;

    /** Granules of {@code length} bytes at {@code offset}, as qemu counts them. */
    private static void granules(TreeSet<Long> into, long offset, long length) {
        for (long g = offset / G; g <= (offset + length - 1) / G; g++) {
            into.add(g);
        }
    }

    /** The dirty ranges a set of granules makes, adjacent ones merged, clipped to nothing. */
    private static List<DirtyRange> ranges(TreeSet<Long> granules) {
        List<DirtyRange> out = new ArrayList<>();
        long start = -1;
        long end = -1;
        for (long g : granules) {
            if (g == end) {
                end++;
                continue;
            }
            if (start >= 0) {
                out.add(new DirtyRange(start * G, (end - start) * G));
            }
            start = g;
            end = g + 1;
        }
        if (start >= 0) {
            out.add(new DirtyRange(start * G, (end - start) * G));
        }
        return out;
    }

    @Test
    void everyMutationSetsExactlyTheGranulesItChangesAndTheyOutliveARemount() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:bitmaps");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        TreeSet<Long> expected = new TreeSet<>();
        try (FileHandle f = v.open("/f", Volumes.RW); FileHandle g = v.open("/g", Volumes.RW)) {
            f.write(Volumes.filled(1 << 20, 1), 0);
            g.write(Volumes.filled(256 * K, 7), 0);
            v.sync();
            DirtyBitmaps bitmaps = f.bitmaps();
            bitmaps.add("b", BitmapOptions.defaults());
            assertEquals(List.of(), bitmaps.dump("b"), "a new bitmap is clean");

            f.write(Volumes.filled(100, 2), 70_000);
            granules(expected, 70_000, 100);
            f.write(Volumes.filled(10_000, 2), 130_000);
            granules(expected, 130_000, 10_000);
            v.dioStrategy("bounce");
            ByteBuffer direct = ByteBuffer.allocateDirect(4 * K);
            direct.put(Volumes.filled(4 * K, 3)).flip();
            f.writeDirect(direct, 300 * K);
            granules(expected, 300 * K, 4 * K);
            assertEquals(1 << 20, f.append(Volumes.filled(10, 4), false));
            granules(expected, 1 << 20, 10);
            f.fallocate(FallocateMode.PUNCH_HOLE, 5 * G + 10, 100);
            granules(expected, 5 * G + 10, 100);
            f.fallocate(FallocateMode.ZERO_RANGE_KEEP_SIZE, 9 * G, G);
            granules(expected, 9 * G, G);
            f.truncate((1 << 20) - 100);
            granules(expected, (1 << 20) - 100, 110);
            f.truncate(3 << 19);
            granules(expected, (1 << 20) - 100, (3 << 19) - (1 << 20) + 100);
            assertEquals(G, f.cloneRange(g, 0, 12 * G, G));
            granules(expected, 12 * G, G);
            assertEquals(ranges(expected), bitmaps.dump("b"));

            // Dedupe changes no content: it sets nothing.
            g.write(Volumes.filled((int) G, 9), 2 * G);
            f.write(Volumes.filled((int) G, 9), 20 * G);
            granules(expected, 20 * G, G);
            v.sync();
            assertEquals(G, f.dedupeRange(g, 2 * G, 20 * G, G).bytesDeduped());
            assertEquals(ranges(expected), bitmaps.dump("b"));
            BitmapInfo info = bitmaps.list().get(0);
            assertEquals(expected.size() * G, info.dirtyBytes());
            assertEquals(EnumSet.of(BitmapInfo.State.RECORDING, BitmapInfo.State.PERSISTENT), info.states());
        }
        v.unmount();
        CowVolume again = volumes.mount(uri);
        try (FileHandle f = again.open("/f", Volumes.RW)) {
            assertEquals(ranges(expected), f.bitmaps().dump("b"), "the same after unmount and mount");
        }
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    private static void assertRefused(BitmapException.Reason reason, String message, Executable op) {
        BitmapException e = assertThrows(BitmapException.class, op::run);
        assertEquals(reason, e.reason());
        assertEquals(message, e.getMessage());
    }

    @FunctionalInterface
    private interface Executable {
        void run() throws IOException;
    }

    @Test
    void qemusStateTable() throws IOException {
        Volumes volumes = Volumes.mem();
        CowVolume v = volumes.fresh(URI.create("mem:table"), 64 << 20);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(Volumes.filled(256 * K, 1), 0);
            DirtyBitmaps b = f.bitmaps();
            assertRefused(BitmapException.Reason.INVALID, "Bitmap name cannot be empty",
                    () -> b.add("", BitmapOptions.defaults()));
            for (long bad : new long[] {256, 1000, 3 * 512, 1L << 32}) {
                assertRefused(BitmapException.Reason.INVALID, "Granularity must be power of 2 and at least 512",
                        () -> b.add("x", BitmapOptions.defaults().granularity(bad)));
            }
            assertRefused(BitmapException.Reason.INVALID, "Name length exceeds maximum (1023 characters)",
                    () -> b.add("n".repeat(1024), BitmapOptions.defaults()));
            b.add("a", BitmapOptions.defaults());
            b.add("other", BitmapOptions.defaults());
            b.add("coarse", BitmapOptions.defaults().granularity(1 << 20));
            assertRefused(BitmapException.Reason.EXISTS, "Bitmap already exists: a",
                    () -> b.add("a", BitmapOptions.defaults()));
            assertRefused(BitmapException.Reason.NOT_FOUND, "Dirty bitmap 'nosuch' not found", () -> b.clear("nosuch"));
            f.write(Volumes.filled(K, 2), 0);
            List<DirtyRange> before = b.dump("other");
            assertRefused(BitmapException.Reason.INVALID, "Bitmaps are incompatible and can't be merged (granularity "
                    + (1 << 20) + " of 'coarse', 65536 of 'other')", () -> b.merge("coarse", "other"));
            assertEquals(before, b.dump("other"), "target unchanged");

            // Busy: everything refused while a backup runs from it.
            String busy = "Bitmap 'a' is currently in use by another operation and cannot be used";
            try (Backup backup = b.backup("a", BackupSync.BITMAP, BitmapSync.ON_SUCCESS)) {
                assertTrue(b.list().stream().anyMatch(i -> i.name().equals("a")
                        && i.states().contains(BitmapInfo.State.BUSY)));
                for (Executable op : List.<Executable>of(() -> b.remove("a"), () -> b.clear("a"), () -> b.enable("a"),
                        () -> b.disable("a"), () -> b.merge("other", "a"), () -> b.merge("a", "other"),
                        () -> b.backup("a", BackupSync.BITMAP, BitmapSync.ON_SUCCESS))) {
                    assertRefused(BitmapException.Reason.BUSY, busy, op);
                }
                f.write(Volumes.filled(K, 3), 5 * G); // never refused
                backup.finish(true);
            }
            assertEquals(List.of(new DirtyRange(4 * G, 2 * G)), b.dump("a"),
                    "on success: only the writes since (past the old end: the gap before it reads as zeros now)");

            // Read-only: changes refused, the rest allowed.
            v.remount(true);
            String readonly = "Bitmap 'a' is readonly and cannot be modified";
            assertRefused(BitmapException.Reason.READ_ONLY, readonly, () -> b.remove("a"));
            assertRefused(BitmapException.Reason.READ_ONLY, readonly, () -> b.clear("a"));
            assertRefused(BitmapException.Reason.READ_ONLY, readonly, () -> b.merge("other", "a"));
            b.disable("a");
            b.enable("a");
            // On a read-only volume every bitmap is read-only: a merge has no writable target.
            assertRefused(BitmapException.Reason.READ_ONLY, "Bitmap 'other' is readonly and cannot be modified",
                    () -> b.merge("a", "other"));
            try (Backup backup = b.backup("a", BackupSync.BITMAP, BitmapSync.NEVER)) {
                backup.finish(true);
            }
            assertTrue(b.list().stream().allMatch(i -> i.states().contains(BitmapInfo.State.READONLY)));
            v.remount(false);
            b.clear("a");
            assertEquals(List.of(), b.dump("a"));
        }
        v.unmount();
    }

    @Test
    void theSeedsScenarioInQemuModeRemountReadOnlyThenReadWriteAndTheWriteIsRecorded() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:seed");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try (FileHandle f = v.open("/vm.img", Volumes.RW)) {
            f.write(Volumes.filled(1 << 20, 1), 0);
            f.bitmaps().add("b", BitmapOptions.defaults().mode(BitmapMode.QEMU));
            f.write(Volumes.filled(K, 2), 0);
            v.remount(true);
            v.remount(false);
            assertEquals(K, f.write(Volumes.filled(K, 3), 3 * G)); // qemu aborted here
            assertEquals(List.of(new DirtyRange(0, G), new DirtyRange(3 * G, G)), f.bitmaps().dump("b"));
        }
        v.unmount();
        CowVolume again = volumes.mount(uri);
        try (FileHandle f = again.open("/vm.img", Volumes.RW)) {
            assertEquals(List.of(new DirtyRange(0, G), new DirtyRange(3 * G, G)), f.bitmaps().dump("b"),
                    "stored at the clean unmount");
            assertFalse(f.bitmaps().list().get(0).states().contains(BitmapInfo.State.INCONSISTENT));
        }
        again.unmount();
    }

    @Test
    void aPowerCutWhileLoadedWritableLeavesQemuBitmapsInconsistentAndTransactionalOnesExact() throws IOException {
        MemDeviceProvider mem = new MemDeviceProvider();
        Volumes plain = new Volumes(mem);
        Volumes wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
        URI disk = URI.create("mem:cut");
        plain.mkfs(disk, 64 << 20, org.cowstack.storage.api.volume.FormatOptions.defaults());
        CowVolume v = wrapped.mount(URI.create("faulty:" + disk));
        try (FileHandle f = v.open("/vm.img", Volumes.RW)) {
            f.write(Volumes.filled(1 << 20, 1), 0);
            f.bitmaps().add("q", BitmapOptions.defaults().mode(BitmapMode.QEMU));
            f.bitmaps().add("t", BitmapOptions.defaults());
            f.bitmaps().add("target", BitmapOptions.defaults());
            f.write(Volumes.filled(K, 2), 2 * G);
            f.fsync();
            f.write(Volumes.filled(K, 2), 4 * G); // not durable
        }
        ((FaultControl) v.boundDevice()).powerCut();
        v.abandon();

        CowVolume after = plain.mount(disk);
        try (FileHandle f = after.open("/vm.img", Volumes.RW)) {
            DirtyBitmaps b = f.bitmaps();
            BitmapInfo q = b.list().stream().filter(i -> i.name().equals("q")).findFirst().orElseThrow();
            assertTrue(q.states().contains(BitmapInfo.State.INCONSISTENT), q.toString());
            assertEquals(List.of(new DirtyRange(2 * G, G)), b.dump("t"), "exactly the durable write");
            assertEquals(K, f.write(Volumes.filled(K, 5), 7 * G), "writes go on");
            String inconsistent = "Bitmap 'q' is inconsistent and cannot be used";
            for (Executable op : List.<Executable>of(() -> b.clear("q"), () -> b.enable("q"), () -> b.disable("q"),
                    () -> b.merge("q", "target"), () -> b.merge("target", "q"),
                    () -> b.backup("q", BackupSync.BITMAP, BitmapSync.ON_SUCCESS))) {
                BitmapException e = assertThrows(BitmapException.class, op::run);
                assertEquals(inconsistent, e.getMessage());
                assertEquals("Try storage:bitmap remove to delete this bitmap", e.hint());
            }
            b.remove("q");
            assertEquals(Set.of("t", "target"), Set.copyOf(b.list().stream().map(BitmapInfo::name).toList()));
        }
        assertEquals(List.of(), after.audit());
        after.unmount();
        mem.deactivate();
    }

    @Test
    void aDeviceErrorOnTheInUseFlagFailsTheRemountAndChangesNothing() throws IOException {
        MemDeviceProvider mem = new MemDeviceProvider();
        Volumes plain = new Volumes(mem);
        Volumes wrapped = new Volumes(new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null));
        URI disk = URI.create("mem:inuse");
        plain.mkfs(disk, 64 << 20, org.cowstack.storage.api.volume.FormatOptions.defaults());
        CowVolume v = wrapped.mount(URI.create("faulty:" + disk));
        FaultControl control = (FaultControl) v.boundDevice();
        try (FileHandle f = v.open("/vm.img", Volumes.RW)) {
            f.write(Volumes.filled(256 * K, 1), 0);
            f.bitmaps().add("q", BitmapOptions.defaults().mode(BitmapMode.QEMU));
            f.write(Volumes.filled(K, 2), G);
            v.remount(true);
            long generation = v.committedGeneration();
            control.failWrite(1); // the superblock carrying the in-use flag
            StorageException e = assertThrows(StorageException.class, () -> v.remount(false));
            assertTrue(e.getMessage().contains("in-use flag") && e.getMessage().contains("stays read-only"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertEquals(VolumeState.READ_ONLY, v.state(), "still read-only, not failed");
            assertEquals(generation, v.committedGeneration(), "nothing committed");
            assertThrows(ReadOnlyException.class, () -> f.write(Volumes.filled(K, 3), 0));
            control.clearFaults();
            v.remount(false); // the next try works
            assertEquals(K, f.write(Volumes.filled(K, 4), 2 * G));
            assertEquals(List.of(new DirtyRange(G, 2 * G)), f.bitmaps().dump("q"));
        }
        v.unmount();
        CowVolume again = plain.mount(disk);
        assertEquals(List.of(), again.audit());
        try (FileHandle f = again.open("/vm.img", Volumes.RW)) {
            assertEquals(List.of(new DirtyRange(G, 2 * G)), f.bitmaps().dump("q"));
        }
        again.unmount();
        mem.deactivate();
    }

    /** qemu's bitmap-sync rules when a backup fails half way: a test per mode. */
    @Test
    void aBackupThatFailsHalfWayLeavesTheBitmapAsQemusRuleSays() throws IOException {
        for (BitmapSync mode : BitmapSync.values()) {
            CowVolume v = Volumes.mem().fresh(URI.create("mem:fail-" + mode), 64 << 20);
            try (FileHandle f = v.open("/f", Volumes.RW)) {
                f.write(Volumes.filled(1 << 20, 1), 0);
                DirtyBitmaps b = f.bitmaps();
                b.add("b", BitmapOptions.defaults());
                f.write(Volumes.filled(K, 2), 0);
                f.write(Volumes.filled(K, 2), 4 * G);
                try (Backup backup = b.backup("b", BackupSync.BITMAP, mode)) {
                    assertEquals(List.of(new DirtyRange(0, G), new DirtyRange(4 * G, G)), backup.ranges());
                    ByteBuffer buf = ByteBuffer.allocate((int) G);
                    backup.read(buf, 0);
                    backup.copied(0, G); // the first range copied, then the target fails
                    f.write(Volumes.filled(K, 3), 8 * G); // a write during the backup
                    backup.finish(false);
                }
                List<DirtyRange> after = b.dump("b");
                List<DirtyRange> expected = switch (mode) {
                    case ON_SUCCESS, NEVER -> List.of(new DirtyRange(0, G), new DirtyRange(4 * G, G),
                            new DirtyRange(8 * G, G)); // everything it had plus the new write
                    case ALWAYS -> List.of(new DirtyRange(4 * G, G), new DirtyRange(8 * G, G)); // not copied plus new
                };
                assertEquals(expected, after, "bitmap-mode " + mode.label());
            }
            v.unmount();
        }
    }

    /** The backup reads the file as it was when it started, whatever is written meanwhile. */
    @Test
    void aBackupReadsAPointInTimeViewAndLeavesNoTrace() throws IOException {
        CowVolume v = Volumes.mem().fresh(URI.create("mem:pit"), 64 << 20);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(Volumes.filled(512 * K, 1), 0);
            f.bitmaps().add("b", BitmapOptions.defaults());
            f.write(Volumes.filled(K, 2), 0);
            try (Backup backup = f.bitmaps().backup(null, BackupSync.FULL, BitmapSync.ON_SUCCESS)) {
                assertEquals(List.of(new DirtyRange(0, 512 * K)), backup.ranges());
                f.write(Volumes.filled(512 * K, 9), 0); // overwrites everything after the start
                f.truncate(0);
                ByteBuffer all = ByteBuffer.allocate(512 * K);
                while (all.hasRemaining() && backup.read(all, all.position()) > 0) {
                    // reads the view
                }
                byte[] expected = Volumes.filled(512 * K, 1).array();
                java.util.Arrays.fill(expected, 0, K, (byte) 2);
                assertArrayEquals(expected, all.array());
                backup.finish(true);
            }
            assertEquals(List.of(new DirtyRange(0, 8 * G)), f.bitmaps().dump("b"),
                    "a backup without the bitmap does not touch it");
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }
}
