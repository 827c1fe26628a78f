package org.cowstack.storage.device.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.testkit.ChecksumAlgorithmContract;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole device contract and every file: test again with O_DIRECT and O_DSYNC,
 * where the host file system has them.
 */
class DirectFileDeviceTest extends FileDeviceTest {
    @Override
    protected URI uri(String name) {
        return URI.create("file:" + dir.resolve(name + ".img") + "?direct=true&dsync=true");
    }

    @BeforeEach
    void requireDirectIo() throws IOException {
        try (BlockDevice probe = provider.open(uri("probe"), OpenOptions.create(SIZE))) {
            assertTrue(probe.capabilities().contains(DeviceCapability.DIRECT_IO));
            assertTrue(probe.capabilities().contains(DeviceCapability.FUA));
        } catch (NotSupportedException e) {
            Assumptions.abort("no O_DIRECT on " + dir + ": " + e.getMessage());
        }
    }

    @Test
    void misalignedDirectBuffersAreBounced() throws IOException {
        BlockDevice d = create("bounce");
        int bs = d.blockSize();
        byte[] data = ChecksumAlgorithmContract.pattern(2 * bs);
        ByteBuffer odd = ByteBuffer.allocateDirect(2 * bs + 1).position(1).slice();
        odd.put(data).flip();
        d.write(odd, bs);
        ByteBuffer back = ByteBuffer.allocateDirect(2 * bs + 3).position(3).slice();
        d.read(back, bs);
        byte[] got = new byte[2 * bs];
        back.flip().get(got);
        assertArrayEquals(data, got);
    }

    @Test
    void aFileSystemWithoutDirectIoIsRefusedClearly() throws IOException {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no /dev/shm here");
        Path img = Files.createTempFile(shm, "direct", ".img");
        try {
            BlockDevice d = provider.open(URI.create("file:" + img + "?direct=true"), OpenOptions.create(SIZE));
            d.close(); // tmpfs has O_DIRECT since Linux 6.6
        } catch (NotSupportedException e) {
            assertTrue(e.getMessage().contains("O_DIRECT"), e.getMessage());
        } finally {
            Files.deleteIfExists(img);
        }
    }
}
