package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.cowstack.storage.cow.fs.CowVolume;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * The engine as a service: formats devices, mounts volumes and registers each mounted
 * volume as a {@link Volume} service with its name, uuid, device, state and checksum.
 *
 * <p>Which volumes exist is Config Admin configuration (see {@link VolumeConfiguration}):
 * the API's mount, unmount and policy setters record what they do there, and a
 * configuration arriving (at start, or written by other means) mounts its volume.
 *
 * <p>Every service a mounted volume uses is a dynamic reference, bound into the volume
 * (see {@code VolumeBindings}). When one goes, its unbind waits for the operations using
 * it, commits with it while it is still valid, and binds a replacement of the same name
 * or id if one is installed; otherwise the volume is SUSPENDED (OFFLINE for a device
 * backend) and its operations wait for one, at most the suspend timeout. When one comes,
 * it is bound into every volume waiting for it, and configured volumes that could not be
 * mounted for want of it are mounted. Deactivation (the engine stopping or updated)
 * commits and unmounts every volume and keeps the configuration, so the next engine
 * mounts them again.
 */
@Component(service = {VolumeManager.class, ConfiguredVolumes.class}, immediate = true)
public final class VolumeManagerComponent implements VolumeManager, ConfiguredVolumes {
    private volatile DefaultVolume defaultVolume;
    private boolean defaultVolumeDone;

    /**
     * Mandatory: without it a volume mounted before it arrived would be recorded late, or
     * twice (the default volume's setup could not see the configuration of the last run).
     */
    @Reference(policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

    @Reference(name = "log", service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    private volatile Logger logger;
    private final EngineLog log = new EngineLog(() -> logger);
    private final InstalledServices installed = new InstalledServices(log);
    private final MountTable table = new MountTable(installed, log);
    private final VolumeFstab fstab = new VolumeFstab(table, installed, () -> configAdmin, log);

    // ------------------------------------------------------------------ services coming and going

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(DeviceProvider provider, Map<String, Object> properties) {
        String scheme = installed.addDevice(provider, properties);
        if (scheme == null) {
            return;
        }
        for (MountEntry e : table.on(scheme)) {
            CowVolume v = e.volume;
            if (v != null && v.state() == VolumeState.OFFLINE && !v.isClosed()) {
                reattach(e, v, provider);
            }
        }
        servicesArrived();
    }

    /** The device backend is back: the offline volume gets its device again, or is mounted afresh. */
    private void reattach(MountEntry e, CowVolume v, DeviceProvider provider) {
        VolumeSettings s = e.settings;
        try {
            BlockDevice d = provider.open(s.device(), v.isReadOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
            if (v.deviceArrived(d)) {
                log.info("volume " + e.name() + " is back on " + s.device());
                e.updateProperties();
                return;
            }
            d.close();
        } catch (IOException | RuntimeException ex) {
            log.warn("volume " + e.name() + ": " + s.device() + " could not be opened again: " + ex.getMessage());
        }
        synchronized (table.lock()) {
            log.warn("volume " + e.name() + ": " + s.device() + " no longer holds what the volume committed; mounting it "
                    + "afresh (open files of the volume are invalid)");
            table.dropMounted(e);
            table.tryMount(e);
        }
    }

    /**
     * A backend is going away: Declarative Services calls this after unregistering it and
     * before deactivating it, so its devices are still open. Volumes on it commit, close
     * their device and go OFFLINE until it returns.
     */
    void removeDevice(DeviceProvider provider) {
        InstalledServices.Departure<DeviceProvider> gone = installed.removeDevice(provider);
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
                if (v.deviceGone()) {
                    log.info("volume " + e.name() + " committed and went offline: device backend " + scheme + ": is going away");
                }
            } catch (IOException ex) {
                log.warn("volume " + e.name() + " could not be committed before device backend " + scheme + ": went away: "
                        + ex.getMessage());
            }
            e.updateProperties();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addChecksum(ChecksumAlgorithm algorithm, Map<String, Object> properties) {
        if (installed.addChecksum(algorithm, properties) == null) {
            return;
        }
        forEachMounted(v -> v.checksumArrived(algorithm));
        servicesArrived();
    }

    void removeChecksum(ChecksumAlgorithm algorithm) {
        InstalledServices.Departure<ChecksumAlgorithm> gone = installed.removeChecksum(algorithm);
        if (gone != null) {
            swapOut("checksum " + gone.name(), v -> v.checksumGone(algorithm, gone.replacement()));
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPolicy(AllocationPolicy policy, Map<String, Object> properties) {
        if (installed.addPolicy(policy, properties) == null) {
            return;
        }
        forEachMounted(v -> v.policyArrived(policy));
        servicesArrived();
    }

    void removePolicy(AllocationPolicy policy) {
        InstalledServices.Departure<AllocationPolicy> gone = installed.removePolicy(policy);
        if (gone != null) {
            swapOut("allocation policy " + gone.name(), v -> v.policyGone(policy, gone.replacement()));
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStrategy(DioStrategy strategy, Map<String, Object> properties) {
        if (installed.addStrategy(strategy, properties) == null) {
            return;
        }
        forEachMounted(v -> v.strategyArrived(strategy));
        servicesArrived();
    }

    void removeStrategy(DioStrategy strategy) {
        InstalledServices.Departure<DioStrategy> gone = installed.removeStrategy(strategy);
        if (gone != null) {
            swapOut("DIO strategy " + gone.name(), v -> v.strategyGone(strategy, gone.replacement()));
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

    private void forEachMounted(java.util.function.Predicate<CowVolume> bind) {
        for (MountEntry e : table.entries()) {
            CowVolume v = e.volume;
            if (v != null && bind.test(v)) {
                log.info("volume " + e.name() + " resumed: " + (v.waitingFor().isEmpty() ? "nothing missing"
                        : "still waiting for " + v.waitingFor()));
                e.updateProperties();
            }
        }
    }

    /** A service arrived: configured volumes that were waiting for it are mounted now. */
    private void servicesArrived() {
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
        setUpDefaultVolume();
    }

    // ------------------------------------------------------------------ life cycle

    @Activate
    void activate(BundleContext bundleContext) {
        defaultVolume = DefaultVolume.of(bundleContext.getProperty(DefaultVolume.VOLUME),
                bundleContext.getProperty(DefaultVolume.HOME));
        table.open(bundleContext);
        servicesArrived();
    }

    /**
     * Sets up the default volume, once, as soon as this component is active and has the
     * file backend, checksum and policy it needs: whichever of them arrives last calls
     * this from its bind, during framework start, so the volume is there before the
     * executable runs its commands.
     */
    private void setUpDefaultVolume() {
        synchronized (table.lock()) {
            if (!table.isOpen() || defaultVolume == null || defaultVolumeDone
                    || !defaultVolume.canSetUp(installed)) {
                return;
            }
            defaultVolumeDone = true;
            try {
                defaultVolume.setUp(this, fstab.isConfigured(defaultVolume.name()));
                MountEntry e = table.get(defaultVolume.name());
                if (e != null && e.volume == null) {
                    table.tryMount(e); // its configuration arrived before its image was there
                }
            } catch (IOException | RuntimeException e) {
                log.error("the default volume " + defaultVolume.name() + " on " + defaultVolume.image()
                        + " could not be set up: " + e.getMessage());
            }
        }
    }

    @Deactivate
    void deactivate() {
        table.close("the engine stopped");
    }

    // ------------------------------------------------------------------ configuration

    @Override
    public void configured(String pid, Map<String, ?> properties) {
        fstab.configured(pid, properties);
    }

    @Override
    public void unconfigured(String pid) {
        fstab.unconfigured(pid);
    }

    // ------------------------------------------------------------------ VolumeManager

    @Override
    public FormatResult mkfs(URI device, FormatOptions options) throws IOException {
        table.requireNotMounted(device);
        DeviceProvider p = installed.provider(device);
        OpenOptions open = options.size() > 0 ? OpenOptions.create(options.size()) : OpenOptions.readWrite();
        try (BlockDevice d = p.open(device, open)) {
            FormatResult r = CowVolume.format(d, options, installed, MountOptions.defaults().allocationPolicy());
            log.info("formatted " + device + ": " + r.size() + " bytes, " + r.blockSize() + "-byte blocks, "
                    + r.checksum() + ", uuid " + r.uuid());
            return r;
        }
    }

    @Override
    public Volume mount(String name, URI device, MountOptions options) throws IOException {
        return fstab.mount(name, device, options);
    }

    @Override
    public void unmount(String name) throws IOException {
        fstab.unmount(name);
    }

    @Override
    public Optional<MountOptions> options(String name) {
        return table.options(name);
    }

    @Override
    public void allocationPolicy(String name, String policy) throws IOException {
        fstab.allocationPolicy(name, policy);
    }

    @Override
    public void dioStrategy(String name, String strategy) throws IOException {
        fstab.dioStrategy(name, strategy);
    }

    @Override
    public Optional<Volume> volume(String name) {
        return table.volume(name);
    }

    @Override
    public List<Volume> volumes() {
        return table.volumes();
    }

    @Override
    public List<VolumeStatus> status() {
        return table.status();
    }
}
