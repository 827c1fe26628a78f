package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;

import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.SpaceUsage;
import org.junit.jupiter.api.Test;

/** A full volume says so when the write is offered, never later, and stays usable. */
class NoSpaceTest {
    @Test
    void theWriteThatDoesNotFitIsRefusedAtOnceAndNothingElseFails() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:full");
        volumes.mkfs(uri, 8 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        byte[] chunk = new byte[64 << 10];
        java.util.Arrays.fill(chunk, (byte) 0x5a);
        long written = 0;
        NoSpaceException refused = null;
        try (FileHandle f = v.open("/big", Volumes.RW)) {
            while (refused == null) {
                try {
                    f.write(ByteBuffer.wrap(chunk), written);
                    written += chunk.length;
                } catch (NoSpaceException e) {
                    refused = e;
                }
            }
            assertEquals(written, f.size(), "the refused write changed nothing");
            assertTrue(refused.getMessage().startsWith("no space left on volume test"), refused.getMessage());
            // Everything accepted is committed without a space error: flush never fails for lack of space.
            f.fsync();
        }
        assertTrue(written > 6 << 20, "the volume was filled: " + written);
        SpaceUsage df = v.space();
        assertTrue(df.free() < chunk.length, df.toString());
        // Deleting and overwriting still work on the full volume (metadata has its reserve).
        Volumes.write(v, "/small", 0, new byte[0]); // a new name: metadata only (no data block is left)
        v.delete("/small");
        try (FileHandle f = v.open("/big", Volumes.RW)) {
            f.truncate(written / 2);
            f.fsync();
            f.write(ByteBuffer.wrap(chunk), written / 2);
            f.fsync();
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
        CowVolume again = volumes.mount(uri);
        byte[] content = Volumes.readAll(again, "/big");
        assertEquals(written / 2 + chunk.length, content.length);
        assertArrayEquals(chunk, java.util.Arrays.copyOfRange(content, (int) (written / 2), content.length));
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    @Test
    void directWritesAreRefusedAtOnceToo() throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:fulldirect");
        volumes.mkfs(uri, 8 << 20, FormatOptions.defaults());
        CowVolume v = volumes.mount(uri);
        try (FileHandle f = v.open("/d", Volumes.RW)) {
            long at = 0;
            while (true) {
                try {
                    f.writeDirect(ByteBuffer.allocate(256 << 10), at);
                    at += 256 << 10;
                } catch (NoSpaceException e) {
                    break;
                }
            }
            assertEquals(at, f.size());
            f.fsync();
        }
        assertEquals(List.of(), v.audit());
        v.unmount();
    }
}
