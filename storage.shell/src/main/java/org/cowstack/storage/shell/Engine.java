package org.cowstack.storage.shell;

import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;

/**
 * The engine as the shell's components hold it: a dynamic optional reference, read once
 * per command into a local (it may change mid-call), unbound only if the one going away
 * is the one held.
 */
final class Engine {
    private volatile VolumeManager manager;

    synchronized void bind(VolumeManager m) {
        manager = m;
    }

    synchronized void unbind(VolumeManager m) {
        if (manager == m) {
            manager = null;
        }
    }

    /** The engine, or null when it is not running. */
    VolumeManager current() {
        return manager;
    }

    /** @throws IllegalStateException when the engine is not running */
    VolumeManager manager() {
        VolumeManager m = manager;
        if (m == null) {
            throw new IllegalStateException("the storage engine (bundle storage.cow) is not running");
        }
        return m;
    }

    /** @throws IllegalArgumentException when no volume of that name is mounted */
    Volume volume(String name) {
        return manager().volume(name).orElseThrow(() -> new IllegalArgumentException(
                "no volume named " + name + " is mounted; storage:volumes lists them"));
    }
}
