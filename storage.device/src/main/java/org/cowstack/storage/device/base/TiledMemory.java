package org.cowstack.storage.device.base;

import java.nio.ByteBuffer;

/**
 * A byte range larger than one {@link ByteBuffer} can address (2 GiB - 1 on Java 17),
 * held as equal tiles of direct memory or of a file mapping. Transfers that cross a
 * tile boundary are split; each piece is one bulk copy with absolute indexes, so tiles
 * are never duplicated and no position is shared between threads.
 *
 * <p>Thread safety: transfers to disjoint ranges may run concurrently. The owner
 * ensures no transfer runs during {@link #release()}.
 */
public final class TiledMemory {
    /** 1 GiB: a power of two below the 2 GiB buffer limit. */
    public static final int DEFAULT_TILE_SHIFT = 30;

    private final ByteBuffer[] tiles;
    private final int tileShift;
    private final long tileMask;
    private final long size;
    /** Tiles that {@link #view} has shown: {@link #release()} leaves them to the collector. */
    private final boolean[] shown;

    /**
     * @param tiles     buffers of exactly {@code 1 << tileShift} bytes each, except the
     *                  last, which may be shorter
     * @param tileShift log2 of the tile size
     * @param size      total bytes
     */
    public TiledMemory(ByteBuffer[] tiles, int tileShift, long size) {
        long tileSize = 1L << tileShift;
        if (tiles.length != tileCount(size, tileShift)) {
            throw new IllegalArgumentException(tiles.length + " tiles for " + size + " bytes in tiles of " + tileSize);
        }
        for (int i = 0; i < tiles.length; i++) {
            long expected = Math.min(tileSize, size - i * tileSize);
            if (tiles[i].capacity() != expected) {
                throw new IllegalArgumentException("tile " + i + " has " + tiles[i].capacity() + " bytes, expected " + expected);
            }
        }
        this.tiles = tiles.clone();
        this.tileShift = tileShift;
        this.tileMask = tileSize - 1;
        this.size = size;
        this.shown = new boolean[tiles.length];
    }

    /** Number of tiles needed for {@code size} bytes. */
    public static int tileCount(long size, int tileShift) {
        long n = (size + (1L << tileShift) - 1) >>> tileShift;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(size + " bytes need too many tiles");
        }
        return (int) n;
    }

    /** Bytes of tile {@code i}. */
    public static int tileLength(long size, int tileShift, int i) {
        return (int) Math.min(1L << tileShift, size - ((long) i << tileShift));
    }

    public long size() {
        return size;
    }

    /** Copies {@code dst.remaining()} bytes from {@code offset} into {@code dst}, advancing its position. */
    public void read(ByteBuffer dst, long offset) {
        copy(dst, offset, false);
    }

    /** Copies {@code src.remaining()} bytes to {@code offset}, advancing its position. */
    public void write(ByteBuffer src, long offset) {
        copy(src, offset, true);
    }

    private void copy(ByteBuffer buf, long offset, boolean toMemory) {
        int done = 0;
        int total = buf.remaining();
        int base = buf.position();
        while (done < total) {
            long at = offset + done;
            ByteBuffer tile = tiles[(int) (at >>> tileShift)];
            int within = (int) (at & tileMask);
            int n = Math.min(total - done, tile.capacity() - within);
            if (toMemory) {
                tile.put(within, buf, base + done, n);
            } else {
                buf.put(base + done, tile, within, n);
            }
            done += n;
        }
        buf.position(base + total);
    }

    /** Sets {@code length} bytes from {@code offset} to zero. */
    public void zero(long offset, long length) {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(length, 1 << 16));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(zeros.capacity(), length - done);
            write(zeros.clear().limit(n), offset + done);
            done += n;
        }
    }

    /** Tile {@code i} itself, for backends that force mapped ranges. */
    public ByteBuffer tile(int i) {
        return tiles[i];
    }

    public int tileShift() {
        return tileShift;
    }

    public int tileCount() {
        return tiles.length;
    }

    /**
     * A read-only buffer over bytes {@code [offset, offset + length)} of the memory itself,
     * shorter when the range crosses the end of a tile (memory is contiguous only within
     * one). The tile it lies in is never released at once afterwards: {@link #release()}
     * leaves it to the collector, which unmaps it only when no such buffer is reachable,
     * so a buffer kept past the release never touches unmapped memory.
     */
    public synchronized ByteBuffer view(long offset, int length) {
        int tile = (int) (offset >>> tileShift);
        int within = (int) (offset & tileMask);
        int n = Math.min(length, tiles[tile].capacity() - within);
        shown[tile] = true;
        return tiles[tile].slice(within, n).asReadOnlyBuffer();
    }

    /** Releases every tile at once where the runtime allows it, except tiles a {@link #view} has shown. */
    public synchronized void release() {
        for (int i = 0; i < tiles.length; i++) {
            if (!shown[i]) {
                Unmapper.release(tiles[i]);
            }
            tiles[i] = null;
        }
    }
}
