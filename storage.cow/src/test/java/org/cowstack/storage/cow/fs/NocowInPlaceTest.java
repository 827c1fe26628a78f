package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.api.bitmap.BitmapMode;
import org.cowstack.storage.api.bitmap.BitmapOptions;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.junit.jupiter.api.Test;

/**
 * When a NOCOW file's write may not go in place. (1) A NOCOW file overwrites its blocks in place, but never the block holding the end of
 * file of the last durable commit: bytes written past that end (an append, a write after
 * a truncate up) change a block that commit shows, and a crash before the next commit
 * would leave it failing its checksum (its durable bytes lost) or, once the file grows
 * again, showing the lost bytes past the old end where Linux shows zeros. Found by
 * ReplayTest (seed -104143905029156260) and the fsx long run (FsxFindingsTest). (2) A file
 * with a recording transactional dirty bitmap copies on write: the bitmap's bits are
 * committed with the data, and an in-place write cut before its commit would change the
 * durable data without the bit (found by ReplayTest with bitmap operations, seed
 * -5548355288821875681); a qemu-mode or disabled bitmap keeps writes in place.
 */
class NocowInPlaceTest {
    private static final int B = 4096;
    private final Volumes volumes = Volumes.mem();
    private final URI uri = URI.create("mem:nocow-eof");

    private static long physical(FileHandle f, long block) throws IOException {
        return f.extents(block * B, B).get(0).physical(); // also writes back the block's dirty page
    }

    @Test
    void bytesPastTheDurableEndGoToANewBlockAndACrashKeepsTheCommittedOne() throws IOException {
        CowVolume v = volumes.fresh(uri, 16 << 20);
        byte[] committed = Volumes.filled(B + 512, 1).array();
        try (FileHandle f = v.open("/f", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(ByteBuffer.wrap(committed), 0);
            f.fsync();
            long tail = physical(f, 1);

            f.write(Volumes.filled(700, 2), committed.length); // append into the last block
            assertNotEquals(tail, physical(f, 1), "the committed last block is copied, not overwritten");
        }
        v.abandon(); // the power fails before the append is committed

        CowVolume again = volumes.mount(uri);
        try (FileHandle f = again.open("/f", Volumes.RW)) {
            assertEquals(committed.length, f.size());
            byte[] tail = new byte[B];
            ByteBuffer b = ByteBuffer.wrap(tail, 0, 512);
            f.read(b, B); // no checksum error: the durable bytes of the last block are intact
            assertArrayEquals(Arrays.copyOfRange(committed, B, B + 512), Arrays.copyOf(tail, 512));
            f.truncate(3 * B); // grows: past the old end the file reads zeros, not the lost append
        }
        byte[] grown = Volumes.readAll(again, "/f");
        assertArrayEquals(new byte[3 * B - committed.length], Arrays.copyOfRange(grown, committed.length, 3 * B));
        assertEquals(List.of(), again.check().problems());
        again.unmount();
    }

    @Test
    void aWriteAfterATruncateUpCopiesTheOldLastBlock() throws IOException {
        CowVolume v = volumes.fresh(uri, 16 << 20);
        try (FileHandle f = v.open("/g", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(Volumes.filled(100, 4), 0);
            f.fsync();
            long first = physical(f, 0);
            f.truncate(10 * B);
            f.write(Volumes.filled(50, 5), 200); // past the durable end, inside its block
            assertNotEquals(first, physical(f, 0));
            f.fsync();
            long now = physical(f, 0);
            f.write(Volumes.filled(50, 6), 300); // the block is whole in the commit now
            assertEquals(now, physical(f, 0));
        }
        v.unmount();
    }

    @Test
    void aTransactionalBitmapMakesTheFileCopyOnWriteAndOtherBitmapsDoNot() throws IOException {
        CowVolume v = volumes.fresh(uri, 16 << 20);
        try (FileHandle f = v.open("/h", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(Volumes.filled(4 * B, 7), 0);
            f.fsync();
            long at = physical(f, 1);
            f.write(Volumes.filled(100, 8), B);
            assertEquals(at, physical(f, 1), "no bitmap: in place");

            f.bitmaps().add("q", BitmapOptions.defaults().granularity(B).mode(BitmapMode.QEMU));
            f.bitmaps().add("off", BitmapOptions.defaults().granularity(B).recording(false));
            f.fsync();
            f.write(Volumes.filled(100, 9), B);
            assertEquals(at, physical(f, 1), "qemu-mode and disabled bitmaps: in place");

            f.bitmaps().add("t", BitmapOptions.defaults().granularity(B));
            f.fsync();
            f.write(Volumes.filled(100, 10), B);
            long moved = physical(f, 1);
            assertNotEquals(at, moved, "a transactional bitmap: copy on write");
            f.fsync();
            f.bitmaps().disable("t");
            f.write(Volumes.filled(100, 11), B);
            assertEquals(moved, physical(f, 1), "its bitmap disabled: in place again");
        }
        v.unmount();
    }
}
