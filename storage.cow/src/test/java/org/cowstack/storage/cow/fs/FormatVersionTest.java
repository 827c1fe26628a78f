package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.cow.format.Superblock;
import org.junit.jupiter.api.Test;

/** An image of another format version is refused at mount, in one line naming both versions, and left as it was. */
class FormatVersionTest {
    @Test
    void anImageOfAnOlderOrNewerFormatIsRefusedAndUntouched() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:version");
        volumes.mkfs(uri, 16 << 20, FormatOptions.defaults());
        ChecksumAlgorithm crc = Volumes.SERVICES.checksum("crc32c");
        for (int version : new int[] {1, 2, Superblock.VERSION + 1}) {
            try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readWrite())) {
                for (long offset : Superblock.OFFSETS) {
                    ByteBuffer sb = ByteBuffer.allocate(Superblock.SIZE).order(ByteOrder.LITTLE_ENDIAN);
                    d.read(sb, offset);
                    sb.putInt(40, version);
                    byte[] digest = new byte[crc.digestLength()];
                    crc.digest(sb.duplicate().position(32).limit(Superblock.SIZE), digest, 0);
                    sb.put(0, digest);
                    d.write(sb.clear(), offset);
                }
                d.flush();
            }
            byte[] before = image(volumes, uri);
            NotSupportedException e = assertThrows(NotSupportedException.class, () -> volumes.mount(uri));
            assertTrue(e.getMessage().startsWith(uri + ": format version " + version + " is "), e.getMessage());
            assertTrue(e.getMessage().contains("this engine's format version " + Superblock.VERSION), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(java.util.Arrays.equals(before, image(volumes, uri)), "the image is left as it was");
        }
        assertEquals(3, Superblock.VERSION, "a format change bumps the version and this test's expectations");
    }

    private static byte[] image(Volumes volumes, URI uri) throws IOException {
        try (BlockDevice d = volumes.provider.open(uri, OpenOptions.readOnly())) {
            ByteBuffer all = ByteBuffer.allocate((int) d.size());
            d.read(all, 0);
            return all.array();
        }
    }
}
