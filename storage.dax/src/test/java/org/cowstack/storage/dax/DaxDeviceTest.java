package org.cowstack.storage.dax;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.testkit.BlockDeviceContract;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaxDeviceTest extends BlockDeviceContract {
    @TempDir
    Path dir;

    // 64 KiB tiles: the contract's 4 MiB devices span 64 of them.
    final DaxDeviceProvider provider = new DaxDeviceProvider(16);

    @Override
    protected DeviceProvider provider() {
        return provider;
    }

    @Override
    protected URI uri(String name) {
        return URI.create("dax:" + dir.resolve(name + ".img"));
    }

    @AfterEach
    void stop() throws IOException {
        provider.deactivate();
    }

    @Test
    void reportsTheMappingItObtained() throws IOException {
        DaxDevice d = (DaxDevice) create("mode");
        assertTrue(d.capabilities().contains(DeviceCapability.DIRECT_ACCESS));
        assertTrue(d.capabilities().contains(DeviceCapability.PERSISTENT));
        boolean sync = d.capabilities().contains(DeviceCapability.MAP_SYNC);
        assertEquals(sync ? MapMode.SYNC : MapMode.SHARED, d.mode());
        if (sync) {
            open(URI.create(uri("required") + "?sync=required"), OpenOptions.create(SIZE)).close();
        } else {
            NotSupportedException e = assertThrows(NotSupportedException.class,
                    () -> open(URI.create(uri("required") + "?sync=required"), OpenOptions.create(SIZE)));
            assertTrue(e.getMessage().contains("MAP_SYNC"), e.getMessage());
        }
        DaxDevice off = (DaxDevice) open(URI.create(uri("off") + "?sync=off"), OpenOptions.create(SIZE));
        assertEquals(MapMode.SHARED, off.mode());
        assertFalse(off.capabilities().contains(DeviceCapability.MAP_SYNC));
    }

    @Test
    void flushForcesExactlyTheDirtyRanges() throws IOException {
        DaxDevice d = (DaxDevice) create("dirty");
        d.write(ByteBuffer.allocate(512), 3 * 512);
        d.write(ByteBuffer.allocate(1024), 100 * 512);
        d.write(ByteBuffer.allocate(512), 4 * 512); // touches the first range: merged
        List<long[]> dirty = d.dirtyRanges();
        assertEquals(2, dirty.size());
        assertArrayEquals(new long[] {1536, 2560}, dirty.get(0));
        assertArrayEquals(new long[] {51200, 52224}, dirty.get(1));
        // Across a tile boundary (64 KiB tiles here).
        d.write(ByteBuffer.allocate(1024), 65536 - 512);
        d.flush();
        assertEquals(1024 + 1024 + 1024, d.forcedBytes());
        assertTrue(d.dirtyRanges().isEmpty());
        d.flush();
        assertEquals(3072, d.forcedBytes(), "a flush with nothing dirty forces nothing");
    }

    @Test
    void devicesOverTwoGigabytesWorkInOneGigabyteTiles() throws IOException {
        DaxDeviceProvider real = new DaxDeviceProvider(); // 1 GiB tiles, as in production
        try {
            URI uri = uri("big");
            long size = 3L << 30;
            BlockDevice d = real.open(uri, OpenOptions.create(size));
            assertEquals(size, d.size());
            byte[] data = ChecksumAlgorithmContract.pattern(4096);
            long across = (2L << 30) - 2048; // straddles the tile boundary at 2 GiB
            d.write(ByteBuffer.wrap(data), across);
            d.write(ByteBuffer.wrap(data), size - 4096);
            d.flush();
            d.close();
            try (FileChannel ch = FileChannel.open(dir.resolve("big.img"), StandardOpenOption.READ)) {
                ByteBuffer back = ByteBuffer.allocate(4096);
                ch.read(back, across);
                assertArrayEquals(data, back.array(), "bytes across the 2 GiB boundary reached the file");
                back.clear();
                ch.read(back, size - 4096);
                assertArrayEquals(data, back.array(), "the last block reached the file");
            }
        } finally {
            real.deactivate();
        }
    }

    @Test
    void poisonIsToldAtOnceFailsReadsOfItAndAWriteOverItClearsIt() throws IOException {
        BlockDevice d = create("poison");
        byte[] data = new byte[4096];
        java.util.Arrays.fill(data, (byte) 7);
        d.write(ByteBuffer.wrap(data), 8192);
        java.util.List<long[]> told = new java.util.ArrayList<>();
        ((org.cowstack.storage.api.device.MediaErrors) d).onMediaError((offset, length) -> told.add(
                new long[] {offset, length}));
        ((org.cowstack.storage.dax.faults.Poisoning) d).poison(8192 + 1024, 1024);
        assertEquals(1, told.size(), "told when poisoned, not when read");
        assertEquals(8192 + 1024, told.get(0)[0]);
        assertThrows(org.cowstack.storage.api.MediaErrorException.class, () -> d.read(ByteBuffer.allocate(4096), 8192));
        ByteBuffer before = ByteBuffer.allocate(1024);
        d.read(before, 8192); // the bytes before it read
        assertEquals(7, before.get(0));
        d.write(ByteBuffer.wrap(new byte[1024]), 8192 + 1024); // clears it
        d.read(ByteBuffer.allocate(4096), 8192);
    }

    @Test
    void closeUnmapsAtOnce() throws IOException {
        Path maps = Path.of("/proc/self/maps");
        Assumptions.assumeTrue(Files.isReadable(maps), "no /proc/self/maps here");
        Path image = dir.resolve("unmap.img");
        BlockDevice d = open(URI.create("dax:" + image), OpenOptions.create(SIZE));
        assertTrue(Files.readString(maps).contains(image.toString()), "mapped while open");
        d.close();
        assertFalse(Files.readString(maps).contains(image.toString()), "unmapped by close, not left to the GC");
    }

    @Test
    void deactivationClosesAndUnmapsEveryDevice() throws IOException {
        BlockDevice d = create("stop");
        provider.deactivate();
        assertThrows(OfflineException.class, () -> d.read(ByteBuffer.allocate(512), 0));
        assertFalse(Files.readString(Path.of("/proc/self/maps")).contains(dir.resolve("stop.img").toString()));
    }

    @Test
    void anImageThisOpenCreatedIsRemovedWhenClosedRemovingWhatItCreated() throws IOException {
        Path image = dir.resolve("made/v.img");
        BlockDevice d = open(URI.create("dax:" + image), OpenOptions.create(SIZE));
        d.write(ByteBuffer.wrap(ChecksumAlgorithmContract.pattern(4096)), 0);
        d.closeAndRemoveCreated();
        assertFalse(Files.exists(dir.resolve("made")));
        BlockDevice kept = create("kept");
        kept.close();
        kept = open(uri("kept"), OpenOptions.readWrite());
        kept.closeAndRemoveCreated();
        assertTrue(Files.exists(dir.resolve("kept.img")), "an image that existed is never removed");
    }

    /**
     * Root passes file modes: a read-only sysctl file is refused even to root (procfs
     * checks its mode); otherwise a read-only file. The translation itself is
     * storage.device's BackingFileTest (the same class, a private copy here).
     */
    @Test
    void aRefusedPermissionIsOneLineNamingTheImage() throws IOException {
        Path file = dir.resolve("read-only.img");
        Files.write(file, new byte[4096]);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        if (!refusesWriting(file)) {
            file = Path.of("/proc/sys/kernel/version");
            Assumptions.assumeTrue(Files.isRegularFile(file) && refusesWriting(file),
                    "the host refuses nothing to this user");
        }
        Path refused = file;
        java.nio.file.AccessDeniedException e = assertThrows(java.nio.file.AccessDeniedException.class,
                () -> provider.open(URI.create("dax:" + refused), OpenOptions.readWrite()));
        assertEquals(refused + ": permission denied", e.getMessage());
    }

    private static boolean refusesWriting(Path file) {
        try {
            FileChannel.open(file, StandardOpenOption.WRITE).close(); // nothing written
            return false;
        } catch (java.nio.file.AccessDeniedException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
