package org.cowstack.storage.device.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.device.base.HostRefusals;
import org.cowstack.storage.testkit.BlockDeviceContract;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDeviceTest extends BlockDeviceContract {
    @TempDir
    Path dir;

    final FileDeviceProvider provider = new FileDeviceProvider();

    @Override
    protected DeviceProvider provider() {
        return provider;
    }

    @Override
    protected URI uri(String name) {
        return URI.create("file:" + dir.resolve(name + ".img"));
    }

    @AfterEach
    void stop() throws IOException {
        provider.deactivate();
    }

    @Test
    void createsASparseFileOfTheRequestedSize() throws IOException {
        // Without ?direct, whatever uri() adds in subclasses.
        BlockDevice d = open(URI.create("file:" + dir.resolve("sub/dir/big.img")), OpenOptions.create(1L << 40));
        assertEquals(1L << 40, d.size());
        assertEquals(1L << 40, Files.size(dir.resolve("sub/dir/big.img")));
        assertTrue(d.capabilities().contains(DeviceCapability.PERSISTENT));
        assertFalse(d.capabilities().contains(DeviceCapability.DIRECT_IO));
        // A write at 1 TiB - 1 block only allocates that block.
        d.write(ByteBuffer.wrap(ChecksumAlgorithmContract.pattern(512)), (1L << 40) - 512);
        d.flush();
    }

    @Test
    void relativePathsResolveAgainstTheWorkingDirectory() {
        assertEquals(Path.of("rel/x.img").toAbsolutePath().normalize().toString(),
                org.cowstack.storage.device.base.BackingFile.key(Path.of("rel/x.img")));
    }

    @Test
    void aPendingInterruptNeitherFailsTheTransferNorBreaksTheDevice() throws IOException {
        BlockDevice d = create("interrupt");
        byte[] data = ChecksumAlgorithmContract.pattern(4096);
        Thread.currentThread().interrupt();
        try {
            d.write(ByteBuffer.wrap(data), 8192);
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
        ByteBuffer back = ByteBuffer.allocate(4096);
        d.read(back, 8192);
        assertArrayEquals(data, back.array());
    }

    @Test
    void aChannelClosedByAnotherThreadsInterruptIsReopened() throws Exception {
        BlockDevice d = create("reopen-interrupt");
        FileDevice fd = (FileDevice) d;
        // Simulate what ClosedByInterruptException does to the shared channel.
        java.lang.reflect.Field f = FileDevice.class.getDeclaredField("file");
        f.setAccessible(true);
        ((org.cowstack.storage.device.base.BackingFile) f.get(fd)).channel().close();
        byte[] data = ChecksumAlgorithmContract.pattern(d.blockSize());
        d.write(ByteBuffer.wrap(data), 0);
        ByteBuffer back = ByteBuffer.allocate(d.blockSize());
        d.read(back, 0);
        assertArrayEquals(data, back.array());
        d.flush();
    }

    /** What a failed mkfs does: the image it created, and the directories made for it, are gone after close. */
    @Test
    void anImageThisOpenCreatedIsRemovedWhenClosedRemovingWhatItCreated() throws IOException {
        Path image = dir.resolve("made/for/it/v.img");
        BlockDevice d = open(URI.create("file:" + image), OpenOptions.create(SIZE));
        d.write(ByteBuffer.wrap(ChecksumAlgorithmContract.pattern(4096)), 65536);
        assertTrue(Files.exists(image));
        d.closeAndRemoveCreated();
        assertFalse(Files.exists(dir.resolve("made")));
    }

    @Test
    void anImageThatExistedStaysAndAPlainCloseRemovesNothing() throws IOException {
        URI uri = uri("existed");
        open(uri, OpenOptions.create(SIZE)).close();
        BlockDevice again = open(uri, OpenOptions.create(SIZE));
        again.closeAndRemoveCreated();
        assertEquals(SIZE, Files.size(dir.resolve("existed.img")), "an image that existed is never removed");

        BlockDevice discarded = open(uri("discarded"), OpenOptions.create(SIZE));
        discarded.discard(0, discarded.size());
        discarded.close();
        assertTrue(Files.exists(dir.resolve("discarded.img")), "a discard of everything is no request to remove");
    }

    @Test
    void anOpenThatFailsRemovesWhatItCreated() throws IOException {
        Path image = dir.resolve("sub/tiny.img");
        // 100 bytes: not one 512-byte block, refused once the file exists.
        assertThrows(InvalidArgumentException.class,
                () -> provider.open(URI.create("file:" + image), OpenOptions.create(100)));
        assertFalse(Files.exists(dir.resolve("sub")));
        Files.write(dir.resolve("small.img"), new byte[100]);
        assertThrows(InvalidArgumentException.class,
                () -> provider.open(URI.create("file:" + dir.resolve("small.img")), OpenOptions.create(100)));
        assertTrue(Files.exists(dir.resolve("small.img")), "an image that existed is never removed");
    }

    @Test
    void aRefusedPermissionIsOneLineNamingTheImage() throws IOException {
        Path file = HostRefusals.unwritableFile(dir);
        Path ro = HostRefusals.unwritableDirectory(dir);
        Assumptions.assumeTrue(file != null || ro != null, "the host refuses nothing to this user");
        if (file != null) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> provider.open(URI.create("file:" + file), OpenOptions.readWrite()));
            assertEquals(file + ": permission denied", e.getMessage());
            e = assertThrows(AccessDeniedException.class,
                    () -> provider.open(URI.create("file:" + file), OpenOptions.create(SIZE)));
            assertEquals(file + ": permission denied", e.getMessage());
            assertTrue(Files.exists(file), "an image that existed is never removed");
        }
        if (ro != null) {
            Path image = ro.resolve("v.img");
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> provider.open(URI.create("file:" + image), OpenOptions.create(SIZE)));
            assertEquals(image + ": permission denied", e.getMessage());
        }
    }

    @Test
    void anotherProcessCannotOpenALockedImage() throws Exception {
        URI uri = uri("locked");
        open(uri, OpenOptions.create(SIZE));
        assertEquals("busy", probeFromAnotherProcess(uri, "rw"));
        assertEquals("busy", probeFromAnotherProcess(uri, "ro"));
        closeOpened();
        assertEquals("opened", probeFromAnotherProcess(uri, "rw"));
    }

    private static String probeFromAnotherProcess(URI uri, String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), uri.toString(), mode).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe finished");
        List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** Opens a device in a separate JVM and says whether it could. */
    public static final class LockProbe {
        public static void main(String[] args) throws IOException {
            FileDeviceProvider p = new FileDeviceProvider();
            try {
                p.open(URI.create(args[0]), "ro".equals(args[1]) ? OpenOptions.readOnly() : OpenOptions.readWrite())
                        .close();
                System.out.println("opened");
            } catch (org.cowstack.storage.api.BusyException e) {
                System.out.println("busy");
            }
        }
    }
}
