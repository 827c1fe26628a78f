package org.cowstack.storage.device.base;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.api.BusyException;

/**
 * The devices a provider has open, keyed by what they are backed by (a canonical path,
 * a memory name). One read-write opener excludes every other opener, as an image lock
 * does in qemu; read-only openers share. The provider closes them all when its
 * component is deactivated.
 */
public final class OpenDevices {
    private final Map<String, Integer> readers = new HashMap<>();
    private final Set<String> writers = new LinkedHashSet<>();
    private final Set<AbstractBlockDevice> devices = new LinkedHashSet<>();
    private boolean closed;

    /**
     * Records an opener of {@code key}; {@link #track} follows once the device is open,
     * {@link #release} if opening fails.
     *
     * @param resource the device URI, for the message
     * @throws BusyException when the key is open read-write, or read-write is asked
     *         while it is open at all
     */
    synchronized void acquire(String key, boolean readOnly, String resource) throws BusyException {
        if (closed) {
            throw new BusyException(resource, "its provider is shutting down");
        }
        if (writers.contains(key)) {
            throw new BusyException(resource, "it is open read-write in this process");
        }
        if (readOnly) {
            readers.merge(key, 1, Integer::sum);
        } else {
            if (readers.containsKey(key)) {
                throw new BusyException(resource, "it is open read-only in this process");
            }
            writers.add(key);
        }
    }

    /** Opens one device. */
    @FunctionalInterface
    public interface Opener<D extends AbstractBlockDevice> {
        D open() throws IOException;
    }

    /**
     * Admits an opener of {@code key} ({@link #acquire}), opens the device and tracks it;
     * if opening fails, the key is released again.
     */
    public <D extends AbstractBlockDevice> D open(String key, boolean readOnly, String resource, Opener<D> opener)
            throws IOException {
        acquire(key, readOnly, resource);
        boolean opened = false;
        try {
            D device = opener.open();
            track(device, key, readOnly);
            opened = true;
            return device;
        } finally {
            if (!opened) {
                release(key, readOnly);
            }
        }
    }

    /** Undoes one {@link #acquire}. */
    synchronized void release(String key, boolean readOnly) {
        if (readOnly) {
            readers.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
        } else {
            writers.remove(key);
        }
    }

    /** True when some opener holds {@code key}. */
    public synchronized boolean isOpen(String key) {
        return writers.contains(key) || readers.containsKey(key);
    }

    /** Tracks an opened device; closing it releases its key. */
    synchronized void track(AbstractBlockDevice device, String key, boolean readOnly) {
        devices.add(device);
        device.onClose(() -> {
            synchronized (this) {
                devices.remove(device);
                release(key, readOnly);
            }
        });
    }

    /** Closes every open device and refuses new ones. Returns the first failure, if any. */
    public IOException closeAll() {
        List<AbstractBlockDevice> open;
        synchronized (this) {
            closed = true;
            open = new ArrayList<>(devices);
        }
        IOException first = null;
        for (AbstractBlockDevice d : open) {
            try {
                d.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }

    /** The devices open now. */
    public synchronized List<AbstractBlockDevice> devices() {
        return List.copyOf(devices);
    }

    /** Open devices now. */
    public synchronized int size() {
        return devices.size();
    }
}
