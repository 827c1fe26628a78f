package org.cowstack.storage.dax;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Which mapping a dax: device obtained. {@code sync} is MAP_SYNC
 * ({@code ExtendedMapMode.READ_WRITE_SYNC}): the file system keeps its metadata for the
 * mapping durable, so forcing the CPU caches is all a flush needs. {@code shared} is a
 * normal MAP_SHARED mapping, made durable by msync.
 */
enum MapMode {
    SYNC("sync"), SHARED("shared"), READ_ONLY("read-only");

    private final String label;

    MapMode(String label) {
        this.label = label;
    }

    @Override
    public String toString() {
        return label;
    }

    MappedByteBuffer map(FileChannel channel, long position, long size) throws IOException {
        switch (this) {
            case SYNC:
                return channel.map(jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC, position, size);
            case SHARED:
                return channel.map(FileChannel.MapMode.READ_WRITE, position, size);
            default:
                return channel.map(FileChannel.MapMode.READ_ONLY, position, size);
        }
    }
}
