package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remount in place: read-only and back without unmounting, open files surviving both. */
class RemountTest {
    private static final int K = 1024;

    @Test
    void anOpenHandleRefusesWritesWhileReadOnlyAndWritesAgainAfter() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:remount");
        CowVolume v = volumes.fresh(uri, 64 << 20);
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.write(Volumes.filled(8 * K, 1), 0); // dirty, not committed
            long generation = v.committedGeneration();
            v.remount(true);
            assertEquals(VolumeState.READ_ONLY, v.state());
            assertTrue(v.committedGeneration() > generation, "going read-only commits first");
            long committed = v.committedGeneration();
            // Every change through the open handle and the volume is refused, and nothing changes.
            assertThrows(ReadOnlyException.class, () -> f.write(Volumes.filled(4 * K, 2), 0));
            assertThrows(ReadOnlyException.class, () -> f.truncate(0));
            assertThrows(ReadOnlyException.class, () -> f.fallocate(FallocateMode.PUNCH_HOLE, 0, 4 * K));
            assertThrows(ReadOnlyException.class, () -> f.setFlags(Set.of(FileFlag.NODATASUM), Set.of()));
            assertThrows(ReadOnlyException.class, () -> f.cloneRange(f, 0, 64 * K, 4 * K));
            assertThrows(ReadOnlyException.class, () -> v.mkdir("/d"));
            assertThrows(ReadOnlyException.class, () -> v.open("/g", Volumes.RW));
            assertThrows(ReadOnlyException.class, () -> v.delete("/f"));
            f.fsync(); // nothing to commit: not an error, as on a read-only mount
            v.sync();
            assertEquals(committed, v.committedGeneration(), "a read-only volume commits nothing");
            assertArrayEquals(Volumes.filled(8 * K, 1).array(), Volumes.readAll(v, "/f"), "reads go on");
            v.remount(true); // already read-only: nothing happens

            v.remount(false);
            assertEquals(VolumeState.MOUNTED, v.state());
            assertEquals(4 * K, f.write(Volumes.filled(4 * K, 3), 4 * K));
            f.fsync();
        }
        v.unmount();
        CowVolume again = volumes.mount(uri);
        byte[] expected = Volumes.filled(8 * K, 1).array();
        Arrays.fill(expected, 4 * K, 8 * K, (byte) 3);
        assertArrayEquals(expected, Volumes.readAll(again, "/f"));
        assertEquals(java.util.List.of(), again.audit());
        again.unmount();
    }

    @Test
    void aVolumeMountedReadOnlyReopensItsDeviceForWritingWhenRemountedReadWrite(@TempDir Path dir)
            throws IOException {
        FileDeviceProvider files = new FileDeviceProvider();
        URI uri = URI.create("file:" + dir.resolve("v.img"));
        Volumes onFiles = new Volumes(files);
        onFiles.mkfs(uri, 16 << 20, FormatOptions.defaults());
        BlockDevice ro = files.open(uri, OpenOptions.readOnly());
        CowVolume v = CowVolume.mount("t", uri, ro, Volumes.SERVICES, MountOptions.defaults().readOnly(true),
                1 << 20, readOnly -> files.open(uri, readOnly ? OpenOptions.readOnly() : OpenOptions.readWrite()));
        assertEquals(VolumeState.READ_ONLY, v.state());
        v.remount(false);
        assertEquals(VolumeState.MOUNTED, v.state());
        Volumes.write(v, "/written", 0, new byte[] {7});
        v.remount(true);
        v.unmount();
        CowVolume again = onFiles.mount(uri);
        assertArrayEquals(new byte[] {7}, Volumes.readAll(again, "/written"));
        again.unmount();

        // Without a way to open the device again, a read-only device stays read-only, in one clear line.
        BlockDevice ro2 = files.open(uri, OpenOptions.readOnly());
        CowVolume stuck = CowVolume.mount("t", uri, ro2, Volumes.SERVICES, MountOptions.defaults(), 1 << 20);
        assertEquals(VolumeState.READ_ONLY, stuck.state());
        ReadOnlyException e = assertThrows(ReadOnlyException.class, () -> stuck.remount(false));
        assertTrue(e.getMessage().contains("opened read-only"), e.getMessage());
        assertEquals(VolumeState.READ_ONLY, stuck.state());
        assertArrayEquals(new byte[] {7}, Volumes.readAll(stuck, "/written"));
        stuck.unmount();
        files.deactivate();
    }

    @Test
    void aWriterRacingARemountEitherFinishesBeforeItOrIsRefused() throws Exception {
        CowVolume v = Volumes.mem().fresh(URI.create("mem:race"), 64 << 20);
        try (FileHandle f = v.open("/f", EnumSet.copyOf(Volumes.RW))) {
            java.util.concurrent.atomic.AtomicLong acknowledged = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = new Thread(() -> {
                for (int i = 0; i < 2000; i++) {
                    try {
                        f.write(Volumes.filled(4 * K, i), (long) i * 4 * K);
                        acknowledged.set(i + 1);
                    } catch (ReadOnlyException refused) {
                        return;
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            writer.start();
            Thread.sleep(5);
            v.remount(true);
            writer.join();
            long n = acknowledged.get();
            assertEquals(n * 4 * K, f.size(), "every acknowledged write, no more");
            v.remount(false);
        }
        v.unmount();
    }
}
