package org.cowstack.storage.s3.device;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bounded local cache of an {@code s3:} device: a file of object-sized slots holding
 * dirty objects (written since the last flush, pinned) and clean ones (least recently
 * used first out). It is a cache, not a journal: a crash forgets it, and the device then
 * holds its last flushed state, as any device does.
 *
 * <p>Not thread-safe: the device's lock guards the map of slots and the flags of a
 * {@link Slot}. The file is read and written under that lock too, except the whole
 * content of a slot that is not {@link Slot#ready} (being fetched): nobody else reads,
 * writes or evicts such a slot, so its loader fills it without the lock.
 */
final class ObjectCache implements Closeable {
    /** A cached object: its slot in the file, and whether it differs from the store. */
    static final class Slot {
        final int slot;
        boolean dirty;
        /** False while its content is being fetched: pinned, neither read, written nor evicted. */
        boolean ready = true;
        /** True while a writer uploads it early (to free a slot): not picked for that again. */
        boolean uploading;
        /** Writes into it so far: a flush or an early upload cleans it only if unchanged since it copied it. */
        long stamp;
        /**
         * In a running flush's snapshot, its content not yet read for the upload: a write
         * (or an early upload) first hands the content to the flush ({@link Flush#preserve}).
         */
        boolean frozen;

        Slot(int slot) {
            this.slot = slot;
        }
    }

    private final FileChannel file;
    private final int objectSize;
    /** Object index to slot, in access order (the first is the least recently used). */
    private final Map<Long, Slot> byIndex = new LinkedHashMap<>(16, 0.75f, true);
    /** The same map without an access order: {@link #peek} does not count as a use. */
    private final Map<Long, Slot> quiet = new java.util.HashMap<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();

    ObjectCache(Path dir, int objectSize, long bytes) throws IOException {
        this.objectSize = objectSize;
        int slots = (int) Math.max(2, Math.min(Integer.MAX_VALUE, bytes / objectSize));
        for (int i = 0; i < slots; i++) {
            free.add(i);
        }
        Files.createDirectories(dir);
        Path path = Files.createTempFile(dir, "s3-cache-", ".objects");
        this.file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
    }

    int slots() {
        return byIndex.size() + free.size();
    }

    /** The object's slot, or null when it is not cached. */
    Slot get(long index) {
        return byIndex.get(index);
    }

    /** The object's slot without counting it as a use (the LRU order stays), or null. */
    Slot peek(long index) {
        return quiet.get(index);
    }

    /** Whether the object has a slot (ready or not), without counting it as a use. */
    boolean has(long index) {
        return byIndex.containsKey(index);
    }

    /**
     * A slot for the object, freeing the least recently used clean ready one; null when
     * every slot is dirty or being fetched. The cache never grows beyond its slots.
     */
    Slot take(long index) {
        Integer s = free.poll();
        if (s == null) {
            for (Iterator<Map.Entry<Long, Slot>> it = byIndex.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Long, Slot> e = it.next();
                if (!e.getValue().dirty && e.getValue().ready) {
                    s = e.getValue().slot;
                    it.remove();
                    quiet.remove(e.getKey());
                    break;
                }
            }
        }
        if (s == null) {
            return null;
        }
        Slot slot = new Slot(s);
        byIndex.put(index, slot);
        quiet.put(index, slot);
        return slot;
    }

    /** The dirty object used least recently that no writer is uploading yet, or null. */
    Long oldestDirty() {
        for (Map.Entry<Long, Slot> e : byIndex.entrySet()) {
            if (e.getValue().dirty && !e.getValue().uploading) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Every dirty object, by index. */
    Map<Long, Slot> dirty() {
        Map<Long, Slot> out = new java.util.TreeMap<>();
        byIndex.forEach((i, s) -> {
            if (s.dirty) {
                out.put(i, s);
            }
        });
        return out;
    }

    /** Frees the object's slot if it is still {@code slot} (a fetch that failed). */
    void drop(long index, Slot slot) {
        if (byIndex.remove(index, slot)) {
            quiet.remove(index);
            free.add(slot.slot);
        }
    }

    /** Slots that hold dirty data. */
    int dirtyCount() {
        int n = 0;
        for (Slot s : byIndex.values()) {
            n += s.dirty ? 1 : 0;
        }
        return n;
    }

    /** The size of the cache file: never beyond {@link #slots()} objects. */
    long fileBytes() throws IOException {
        return file.size();
    }

    void read(Slot slot, int at, ByteBuffer dst) throws IOException {
        long pos = (long) slot.slot * objectSize + at;
        while (dst.hasRemaining()) {
            int n = file.read(dst, pos);
            if (n < 0) { // never written: zeros
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    void write(Slot slot, int at, ByteBuffer src) throws IOException {
        long pos = (long) slot.slot * objectSize + at;
        while (src.hasRemaining()) {
            pos += file.write(src, pos);
        }
    }

    byte[] readAll(Slot slot) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(objectSize);
        read(slot, 0, b);
        return b.array();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
