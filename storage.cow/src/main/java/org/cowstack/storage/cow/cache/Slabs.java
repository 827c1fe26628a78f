package org.cowstack.storage.cow.cache;

import java.lang.ref.SoftReference;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Slabs of unmounted volumes' read caches, kept for the next read cache to fill without
 * allocating (and zeroing) its memory again: a volume mounted again after an unmount
 * gets its memory back at once. Softly referenced, so the garbage collector takes them
 * back when the heap runs short; holds plain arrays only (no class of a plug-in).
 */
final class Slabs {
    private static final ConcurrentLinkedQueue<SoftReference<byte[]>> FREE = new ConcurrentLinkedQueue<>();

    private Slabs() {
    }

    /** A slab of exactly {@code bytes}: a kept one (old content) or a new one. */
    static byte[] take(int bytes) {
        for (int tries = FREE.size(); tries > 0; tries--) {
            SoftReference<byte[]> ref = FREE.poll();
            if (ref == null) {
                break;
            }
            byte[] slab = ref.get();
            if (slab != null) {
                if (slab.length == bytes) {
                    return slab;
                }
                FREE.add(ref);
            }
        }
        return new byte[bytes];
    }

    static void give(byte[] slab) {
        FREE.add(new SoftReference<>(slab));
    }
}
