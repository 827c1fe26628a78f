package org.cowstack.storage.device.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

class TiledMemoryTest {
    private static final int SHIFT = 12; // 4 KiB tiles: every other transfer crosses a boundary

    private static TiledMemory memory(long size) {
        ByteBuffer[] tiles = new ByteBuffer[TiledMemory.tileCount(size, SHIFT)];
        for (int i = 0; i < tiles.length; i++) {
            tiles[i] = ByteBuffer.allocateDirect(TiledMemory.tileLength(size, SHIFT, i));
        }
        return new TiledMemory(tiles, SHIFT, size);
    }

    @Test
    void transfersAcrossTilesMatchAModel() {
        long size = 10 * 4096 + 1536; // a short last tile
        TiledMemory m = memory(size);
        byte[] model = new byte[(int) size];
        Random r = new Random(Seeds.seed("TiledMemoryTest"));
        for (int op = 0; op < 2000; op++) {
            int len = r.nextInt(3 * 4096);
            int off = r.nextInt((int) size - len + 1);
            if (r.nextBoolean()) {
                byte[] data = new byte[len];
                r.nextBytes(data);
                ByteBuffer src = r.nextBoolean() ? ByteBuffer.wrap(data) : ByteBuffer.allocateDirect(len).put(data).flip();
                m.write(src, off);
                assertEquals(len, src.position());
                System.arraycopy(data, 0, model, off, len);
            } else if (r.nextInt(10) == 0) {
                m.zero(off, len);
                Arrays.fill(model, off, off + len, (byte) 0);
            } else {
                ByteBuffer dst = ByteBuffer.allocate(len + 8).position(8);
                m.read(dst, off);
                assertEquals(len + 8, dst.position());
                assertArrayEquals(Arrays.copyOfRange(model, off, off + len), Arrays.copyOfRange(dst.array(), 8, len + 8),
                        "op " + op + ": " + len + " bytes at " + off);
            }
        }
    }

    @Test
    void refusesTilesOfTheWrongShape() {
        ByteBuffer[] tooFew = {ByteBuffer.allocateDirect(4096)};
        assertThrows(IllegalArgumentException.class, () -> new TiledMemory(tooFew, SHIFT, 8192));
        ByteBuffer[] wrongLast = {ByteBuffer.allocateDirect(4096), ByteBuffer.allocateDirect(100)};
        assertThrows(IllegalArgumentException.class, () -> new TiledMemory(wrongLast, SHIFT, 4096 + 512));
    }

    @Test
    void tileArithmetic() {
        assertEquals(3, TiledMemory.tileCount(3L << 30, 30));
        assertEquals(4, TiledMemory.tileCount((3L << 30) + 1, 30));
        assertEquals(1, TiledMemory.tileLength((3L << 30) + 1, 30, 3));
        assertEquals(1 << 30, TiledMemory.tileLength((3L << 30) + 1, 30, 2));
    }
}
