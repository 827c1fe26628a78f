package org.cowstack.storage.cow;

import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.cow.InstalledServices.Departure;
import org.cowstack.storage.cow.fs.CowVolume;

/**
 * What a plug-in coming or going does to the volumes: the fan-out of hot swap. Each
 * method is called from a bind or unbind of the engine's component; it first changes
 * {@link InstalledServices}, then visits every volume of the {@link MountTable}.
 *
 * <p>When a service goes, each volume bound to it waits for the operations using it,
 * commits with it while it is still valid, and binds the replacement of the same name or
 * id if one is installed; otherwise it is SUSPENDED (OFFLINE for a device backend, whose
 * device is flushed and closed) and its operations wait for one. When a service comes,
 * it is bound into every volume waiting for it, an offline volume gets its device back
 * (or is mounted afresh when the device no longer holds what it committed), and
 * configured volumes that could not be mounted for want of it are mounted. None of this
 * holds the table's lock while a volume's operations are awaited; only mounting does.
 */
final class HotSwap {
    private final InstalledServices installed;
    private final MountTable table;
    private final EngineLog log;

    HotSwap(InstalledServices installed, MountTable table, EngineLog log) {
        this.installed = installed;
        this.table = table;
        this.log = log;
    }

    // ------------------------------------------------------------------ coming

    /** @return false when it is ignored (registered without its scheme property) */
    boolean deviceArrived(DeviceProvider provider, Map<String, ?> properties) {
        String scheme = installed.addDevice(provider, properties);
        if (scheme == null) {
            return false;
        }
        for (MountEntry e : table.on(scheme)) {
            CowVolume v = e.volume;
            if (v != null && v.state() == VolumeState.OFFLINE && !v.isClosed()) {
                reattach(e, v, provider);
            }
        }
        mountWaiting();
        return true;
    }

    /** The device backend is back: the offline volume gets its device again, or is mounted afresh. */
    private void reattach(MountEntry e, CowVolume v, DeviceProvider provider) {
        VolumeSettings s = e.settings;
        try {
            BlockDevice d = provider.open(s.device(),
                    v.isReadOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
            if (v.swap().deviceArrived(d)) {
                log.info("volume " + e.name() + " is back on " + s.device());
                e.updateProperties();
                return;
            }
            d.close();
        } catch (IOException | RuntimeException ex) {
            log.warn("volume " + e.name() + ": " + s.device() + " could not be opened again: " + ex.getMessage());
        }
        synchronized (table.lock()) {
            log.warn("volume " + e.name() + ": " + s.device() + " no longer holds what the volume committed; "
                    + "mounting it afresh (open files of the volume are invalid)");
            table.dropMounted(e);
            table.tryMount(e);
        }
    }

    /** @return false when it is ignored (registered without its name and id properties) */
    boolean checksumArrived(ChecksumAlgorithm algorithm, Map<String, ?> properties) {
        InstalledServices.ChecksumKey key = installed.addChecksum(algorithm, properties);
        return arrived(key == null ? null : key.name(), v -> v.swap().checksumArrived(key.id(), algorithm));
    }

    /** @return false when it is ignored (registered without its name property) */
    boolean policyArrived(AllocationPolicy policy, Map<String, ?> properties) {
        String name = installed.addPolicy(policy, properties);
        return arrived(name, v -> v.swap().policyArrived(name, policy));
    }

    /** @return false when it is ignored (registered without its name property) */
    boolean strategyArrived(DioStrategy strategy, Map<String, ?> properties) {
        String name = installed.addStrategy(strategy, properties);
        return arrived(name, v -> v.swap().strategyArrived(name, strategy));
    }

    private boolean arrived(String installedAs, Predicate<CowVolume> bind) {
        if (installedAs == null) {
            return false;
        }
        forEachMounted(bind);
        mountWaiting();
        return true;
    }

    /** Offers a service that arrived to every mounted volume; those that bind it resume. */
    private void forEachMounted(Predicate<CowVolume> bind) {
        for (MountEntry e : table.entries()) {
            CowVolume v = e.volume;
            if (v != null && bind.test(v)) {
                log.info("volume " + e.name() + " resumed: " + (v.waitingFor().isEmpty() ? "nothing missing"
                        : "still waiting for " + v.waitingFor()));
                e.updateProperties();
            }
        }
    }

    /** A service arrived, or the engine started: configured volumes that were waiting for one are mounted now. */
    void mountWaiting() {
        if (!table.isOpen()) {
            return;
        }
        synchronized (table.lock()) {
            for (MountEntry e : table.entries()) {
                if (e.volume == null) {
                    table.tryMount(e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ going

    /**
     * A backend is going away: Declarative Services calls this after unregistering it and
     * before deactivating it, so its devices are still open. Volumes on it commit, close
     * their device and go OFFLINE until it returns.
     */
    void deviceGone(DeviceProvider provider) {
        Departure<DeviceProvider> gone = installed.removeDevice(provider);
        if (gone == null) {
            return;
        }
        String scheme = gone.name();
        for (MountEntry e : table.on(scheme)) {
            CowVolume v = e.volume;
            if (v == null) {
                continue;
            }
            try {
                if (v.swap().deviceGone()) {
                    log.info("volume " + e.name() + " committed and went offline: device backend " + scheme
                            + ": is going away");
                }
            } catch (IOException ex) {
                log.warn("volume " + e.name() + " could not be committed before device backend " + scheme
                        + ": went away: " + ex.getMessage());
            }
            e.updateProperties();
        }
    }

    void checksumGone(ChecksumAlgorithm algorithm) {
        Departure<ChecksumAlgorithm> gone = installed.removeChecksum(algorithm);
        if (gone != null) {
            swapOut("checksum " + gone.name(), v -> v.swap().checksumGone(algorithm, gone.replacement()));
        }
    }

    void policyGone(AllocationPolicy policy) {
        Departure<AllocationPolicy> gone = installed.removePolicy(policy);
        if (gone != null) {
            swapOut("allocation policy " + gone.name(), v -> v.swap().policyGone(policy, gone.replacement()));
        }
    }

    void strategyGone(DioStrategy strategy) {
        Departure<DioStrategy> gone = installed.removeStrategy(strategy);
        if (gone != null) {
            swapOut("DIO strategy " + gone.name(), v -> v.swap().strategyGone(strategy, gone.replacement()));
        }
    }

    @FunctionalInterface
    private interface Swap {
        boolean apply(CowVolume v) throws IOException;
    }

    /** Takes a departing service out of every volume bound to it, each committing with it first. */
    private void swapOut(String what, Swap swap) {
        for (MountEntry e : table.entries()) {
            CowVolume v = e.volume;
            if (v == null) {
                continue;
            }
            try {
                if (swap.apply(v) && v.state() == VolumeState.SUSPENDED) {
                    log.info("volume " + e.name() + " committed and is suspended: " + what + " is going away");
                }
            } catch (IOException ex) {
                log.warn("volume " + e.name() + " could not commit before " + what + " went away (its data stays in "
                        + "memory until it can): " + ex.getMessage());
            }
            e.updateProperties();
        }
    }
}
