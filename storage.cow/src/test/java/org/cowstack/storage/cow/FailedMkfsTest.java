package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Buffered;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.osgi.framework.BundleContext;

/**
 * A mkfs that fails leaves the host as it was: an image file (and the directories) it
 * created is removed, a RAM disk it created is forgotten, and a device that existed
 * before is neither removed nor changed.
 */
class FailedMkfsTest {
    private static final long SIZE = 8 << 20;

    private final VolumeManagerComponent manager = new VolumeManagerComponent();
    private final FileDeviceProvider files = new FileDeviceProvider();
    private final MemDeviceProvider mem = new MemDeviceProvider();
    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        manager.addDevice(files, Map.of(DeviceProvider.SCHEME, "file"));
        manager.addDevice(mem, Map.of(DeviceProvider.SCHEME, "mem"));
        manager.addChecksum(new Crc32c(), Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0));
        manager.addPolicy(new FirstFit(), Map.of(AllocationPolicy.NAME, "first-fit"));
        manager.addStrategy(new Buffered(), Map.of(DioStrategy.NAME, "buffered"));
        manager.activate((BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProperty")) {
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                }));
    }

    @AfterEach
    void stop() throws IOException {
        manager.deactivate();
        files.deactivate();
        mem.deactivate();
    }

    /** Formats that fail once the device is open: each with the words its message has. */
    static Stream<Arguments> failures() throws Exception {
        return Stream.of(
                Arguments.of("checksum not installed", FormatOptions.defaults().checksum("sha256").size(SIZE),
                        "not installed"),
                Arguments.of("too small", FormatOptions.defaults().size(64 << 10), "at least"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void aFileItCreatedIsRemovedWithTheDirectoriesItMade(String why, FormatOptions options, String words) {
        Path image = dir.resolve("new/sub/v.img");
        IOException e = assertThrows(IOException.class, () -> manager.mkfs(URI.create("file:" + image), options));
        assertTrue(e.getMessage().contains(words), e.getMessage());
        assertFalse(Files.exists(dir.resolve("new")), "the directories mkfs made for the image are gone too");
        assertEquals(List.of(), list(dir));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void anExistingFileIsKeptUnchanged(String why, FormatOptions options, String words) throws IOException {
        Path image = dir.resolve("v.img");
        byte[] content = new byte[(int) SIZE];
        new Random(1).nextBytes(content);
        Files.write(image, content);
        assertThrows(IOException.class, () -> manager.mkfs(URI.create("file:" + image), options));
        assertArrayEquals(content, Files.readAllBytes(image));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void aRamDiskItCreatedIsForgotten(String why, FormatOptions options, String words) {
        URI disk = URI.create("mem:failed");
        assertThrows(IOException.class, () -> manager.mkfs(disk, options));
        assertThrows(NoSuchFileException.class, () -> mem.open(disk, OpenOptions.readWrite()));
        // Created by its URI's size rather than by --size: the same.
        URI sized = URI.create("mem:sized?size=8m");
        assertThrows(IOException.class, () -> manager.mkfs(sized, FormatOptions.defaults().checksum("sha256")));
        assertThrows(NoSuchFileException.class, () -> mem.open(URI.create("mem:sized"), OpenOptions.readWrite()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void anExistingRamDiskIsKeptUnchanged(String why, FormatOptions options, String words) throws IOException {
        URI disk = URI.create("mem:existing");
        byte[] content = new byte[(int) SIZE];
        new Random(2).nextBytes(content);
        try (BlockDevice d = mem.open(disk, OpenOptions.create(SIZE))) {
            d.write(ByteBuffer.wrap(content), 0);
        }
        assertThrows(IOException.class, () -> manager.mkfs(disk, options));
        try (BlockDevice d = mem.open(disk, OpenOptions.readOnly())) {
            ByteBuffer back = ByteBuffer.allocate(content.length);
            d.read(back, 0);
            assertArrayEquals(content, back.array());
        }
    }

    /** A format that fails after it wrote to the new image (its flush fails): the image is removed. */
    @Test
    void aFileItCreatedAndWroteIsRemoved() throws IOException {
        FailingFlush failing = new FailingFlush(files);
        manager.removeDevice(files);
        manager.addDevice(failing, Map.of(DeviceProvider.SCHEME, "file"));
        Path image = dir.resolve("v.img");
        IOException e = assertThrows(IOException.class,
                () -> manager.mkfs(URI.create("file:" + image), FormatOptions.defaults().size(SIZE)));
        assertEquals("flush failed", e.getMessage());
        assertFalse(Files.exists(image));
        // And one that succeeds keeps its image, of course.
        manager.removeDevice(failing);
        manager.addDevice(files, Map.of(DeviceProvider.SCHEME, "file"));
        manager.mkfs(URI.create("file:" + image), FormatOptions.defaults().size(SIZE));
        assertEquals(SIZE, Files.size(image));
    }

    /** Bad block size: 512-byte blocks on an image opened with O_DIRECT on a file system of 4 KiB blocks. */
    @Test
    void aBlockSizeTheDeviceRefusesRemovesTheNewImage() throws IOException {
        Path image = dir.resolve("direct.img");
        URI uri = URI.create("file:" + image + "?direct=true");
        int deviceBlock;
        try (BlockDevice probe = files.open(URI.create("file:" + dir.resolve("probe.img") + "?direct=true"),
                OpenOptions.create(SIZE))) {
            deviceBlock = probe.blockSize();
        } catch (IOException noDirectIo) {
            return; // tmpfs before Linux 6.6: no O_DIRECT, nothing to check here
        }
        Files.delete(dir.resolve("probe.img"));
        org.junit.jupiter.api.Assumptions.assumeTrue(deviceBlock > 512, "O_DIRECT here aligns to 512 bytes");
        IOException e = assertThrows(IOException.class,
                () -> manager.mkfs(uri, FormatOptions.defaults().blockSize(512).size(SIZE)));
        assertTrue(e.getMessage().contains("a multiple of"), e.getMessage());
        assertFalse(Files.exists(image));
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A provider whose devices fail every flush, wrapping another's. */
    private static final class FailingFlush implements DeviceProvider {
        private final DeviceProvider inner;

        FailingFlush(DeviceProvider inner) {
            this.inner = inner;
        }

        @Override
        public String scheme() {
            return inner.scheme();
        }

        @Override
        public String description() {
            return "flushes fail";
        }

        @Override
        public BlockDevice open(URI uri, OpenOptions options) throws IOException {
            BlockDevice d = inner.open(uri, options);
            return (BlockDevice) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BlockDevice.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("flush")) {
                            throw new IOException("flush failed");
                        }
                        try {
                            return method.invoke(d, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }
}
