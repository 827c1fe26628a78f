package org.cowstack.storage.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;

/**
 * The dirty bitmaps that exports hold busy, as qemu holds an exported bitmap: nobody may
 * clear, merge or remove it while a client reads it. A hold lives in the memory of the
 * mounted volume, so it follows the volume: taken when the export is configured if the
 * volume is mounted then, and again every time the volume is mounted (after a restart,
 * an update of the engine, an unmount and mount), released with the export.
 */
final class BitmapHolds {
    private record Wanted(String volume, String path, List<String> bitmaps) {
    }

    private final Consumer<String> log;
    private final Map<String, Wanted> wanted = new HashMap<>();
    private final Map<String, List<Closeable>> held = new HashMap<>();

    /** @param log where a hold that cannot be taken again at a mount is reported, one line */
    BitmapHolds(Consumer<String> log) {
        this.log = log;
    }

    /**
     * The export {@code pid} holds {@code bitmaps} of {@code path}: now, on {@code mounted}
     * when its volume is mounted (the holds all taken, or none and the failure thrown), and
     * at every later mount of {@code volume}.
     */
    synchronized void want(String pid, String volume, String path, List<String> bitmaps, Volume mounted)
            throws IOException {
        release(pid);
        if (bitmaps.isEmpty()) {
            return;
        }
        if (mounted != null) {
            held.put(pid, take(mounted, path, bitmaps));
        }
        wanted.put(pid, new Wanted(volume, path, bitmaps));
    }

    /** The export is gone: its bitmaps are free. */
    synchronized void release(String pid) {
        wanted.remove(pid);
        close(held.remove(pid));
    }

    /** A volume was mounted: the exports of its files hold their bitmaps again. */
    synchronized void mounted(Volume v) {
        wanted.forEach((pid, w) -> {
            if (w.volume().equals(v.name())) {
                close(held.remove(pid));
                try {
                    held.put(pid, take(v, w.path(), w.bitmaps()));
                } catch (IOException | RuntimeException e) {
                    log.accept("nbd: the bitmaps " + String.join(",", w.bitmaps()) + " of " + v.name() + ":"
                            + w.path() + " are exported but not held busy: " + e.getMessage());
                }
            }
        });
    }

    /** A volume went away, and the holds kept in its memory with it. */
    synchronized void unmounted(String volume) {
        wanted.forEach((pid, w) -> {
            if (w.volume().equals(volume)) {
                close(held.remove(pid));
            }
        });
    }

    synchronized void releaseAll() {
        held.values().forEach(BitmapHolds::close);
        held.clear();
        wanted.clear();
    }

    /** Holds every bitmap, or none. */
    private static List<Closeable> take(Volume v, String path, List<String> bitmaps) throws IOException {
        List<Closeable> taken = new ArrayList<>();
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            for (String b : bitmaps) {
                taken.add(f.bitmaps().hold(b));
            }
            return taken;
        } catch (IOException | RuntimeException e) {
            close(taken);
            throw e;
        }
    }

    private static void close(List<Closeable> holds) {
        if (holds == null) {
            return;
        }
        for (Closeable h : holds) {
            try {
                h.close();
            } catch (IOException | RuntimeException ignored) {
                // a hold ends in memory (of a volume that may be gone): nothing to fail
            }
        }
    }
}
