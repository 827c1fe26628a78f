package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
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
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
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
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private volatile DefaultVolume defaultVolume;
    private boolean defaultVolumeDone;

    @Reference(name = "log", service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    private volatile Logger logger;
    private final EngineLog log = new EngineLog(() -> logger);
    private final InstalledServices installed = new InstalledServices(log);
    private final MountTable table = new MountTable(installed, log);

    /**
     * Mandatory: without it a volume mounted before it arrived would be recorded late, or
     * twice (the default volume's setup could not see the configuration of the last run).
     */
    @Reference(policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

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
                defaultVolume.setUp(this, isConfigured(defaultVolume.name()));
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

    /** Whether a volume of this name is configured, or known: the default volume is then not created again. */
    private boolean isConfigured(String name) {
        if (table.contains(name)) {
            return true;
        }
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            return false;
        }
        try {
            Configuration[] found = ca.listConfigurations("(&(service.factoryPid=" + VOLUME_FACTORY_PID + ")("
                    + VolumeSettings.NAME + "=" + name + "))");
            return found != null && found.length > 0;
        } catch (IOException | InvalidSyntaxException e) {
            return false;
        }
    }

    @Deactivate
    void deactivate() {
        table.close("the engine stopped");
    }

    // ------------------------------------------------------------------ configuration

    @Override
    public void configured(String pid, Map<String, ?> properties) {
        VolumeSettings s;
        try {
            s = VolumeSettings.read(properties);
            checkName(s.name());
        } catch (InvalidArgumentException e) {
            String name = VolumeSettings.nameOf(properties);
            log.error("volume configuration " + pid + (name == null ? "" : " (volume " + name + ")") + " is malformed and "
                    + "mounts nothing: " + e.getMessage());
            if (name != null && NAME.matcher(name).matches()) {
                synchronized (table.lock()) {
                    MountEntry e2 = table.get(name);
                    if (e2 == null || pid.equals(e2.pid)) {
                        if (e2 != null) {
                            table.dropMounted(e2);
                        }
                        MountEntry bad = new MountEntry(new VolumeSettings(name, null, MountOptions.defaults()), pid);
                        bad.malformed = true;
                        bad.state = VolumeState.FAILED;
                        bad.detail = "malformed configuration: " + e.getMessage();
                        table.put(bad);
                    }
                }
            }
            return;
        }
        synchronized (table.lock()) {
            if (!table.isOpen()) {
                return;
            }
            removeOtherNamesOf(pid, s.name());
            MountEntry e = table.get(s.name());
            if (e == null) {
                e = new MountEntry(s, pid);
                table.put(e);
                table.tryMount(e);
                return;
            }
            if (e.pid != null && !e.pid.equals(pid)) {
                log.error("volume configuration " + pid + " names volume " + s.name() + ", which configuration " + e.pid
                        + " already has; it is ignored");
                return;
            }
            e.pid = pid;
            reconfigure(e, s);
        }
    }

    /** A configuration renamed its volume: the volume of the old name goes. */
    private void removeOtherNamesOf(String pid, String name) {
        for (MountEntry other : table.entries()) {
            if (pid.equals(other.pid) && !other.name().equals(name)) {
                table.unmountQuietly(other, "its configuration now names " + name);
                table.remove(other);
            }
        }
    }

    /** Applies changed settings: policies, intervals and timeouts in place; a new device or mode by mounting again. */
    private void reconfigure(MountEntry e, VolumeSettings s) {
        VolumeSettings old = e.settings;
        CowVolume v = e.volume;
        e.malformed = false;
        if (v == null || v.isClosed()) {
            e.settings = s;
            table.dropMounted(e);
            table.tryMount(e);
            return;
        }
        MountOptions was = old.options();
        MountOptions now = s.options();
        boolean remount = !old.device().equals(s.device()) || was.readOnly() != now.readOnly()
                || !(now.checksum().isEmpty() || now.checksum().equals(v.checksum()));
        if (remount) {
            log.info("volume " + s.name() + " is mounted again: its configuration changed device, mode or checksum");
            table.unmountQuietly(e, "its configuration changed");
            e.settings = s;
            table.tryMount(e);
            return;
        }
        e.settings = s;
        try {
            if (!now.allocationPolicy().equals(v.allocationPolicy())) {
                v.allocationPolicy(now.allocationPolicy());
            }
            if (!now.dioStrategy().equals(v.dioStrategy())) {
                v.dioStrategy(now.dioStrategy());
            }
        } catch (NotSupportedException ex) {
            log.error("volume " + s.name() + ": " + ex.getMessage() + "; it keeps " + v.allocationPolicy() + " and "
                    + v.dioStrategy());
            e.settings = s.with(now.allocationPolicy(v.allocationPolicy()).dioStrategy(v.dioStrategy()));
        }
        v.suspendTimeout(now.suspendTimeout());
        if (!was.commitInterval().equals(now.commitInterval())) {
            table.reschedule(e, now.commitInterval());
        }
    }

    @Override
    public void unconfigured(String pid) {
        synchronized (table.lock()) {
            for (MountEntry e : table.entries()) {
                if (pid.equals(e.pid)) {
                    table.unmountQuietly(e, "its configuration is gone");
                    table.remove(e);
                }
            }
        }
    }

    /** Records the entry's settings as its configuration; a no-op without Config Admin. */
    private void persist(MountEntry e) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            return;
        }
        try {
            Configuration c = e.pid != null ? ca.getConfiguration(e.pid, "?")
                    : ca.createFactoryConfiguration(VOLUME_FACTORY_PID, "?");
            e.pid = c.getPid();
            c.updateIfDifferent(e.settings.properties());
        } catch (IOException | RuntimeException ex) {
            log.warn("volume " + e.name() + ": its configuration could not be recorded (it will not be mounted after a "
                    + "restart): " + ex.getMessage());
        }
    }

    private void forget(String pid) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null || pid == null) {
            return;
        }
        try {
            ca.getConfiguration(pid, "?").delete();
        } catch (IOException | RuntimeException ex) {
            log.warn("volume configuration " + pid + " could not be deleted: " + ex.getMessage());
        }
    }

    private static void checkName(String name) throws InvalidArgumentException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidArgumentException("volume name", name,
                    "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
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
        checkName(name);
        Objects.requireNonNull(device, "device");
        synchronized (table.lock()) {
            if (!table.isOpen()) {
                throw new NotSupportedException("the storage engine is stopping");
            }
            MountEntry existing = table.get(name);
            if (existing != null && existing.volume != null) {
                if (existing.settings.device().equals(device)) {
                    return existing.volume; // mounting again what is mounted changes nothing
                }
                throw new BusyException("volume name " + name, "it is mounted on " + existing.settings.device());
            }
            table.requireNotMounted(device);
            installed.requireInstalled(options);
            MountEntry e = existing != null ? existing : new MountEntry(new VolumeSettings(name, device, options), null);
            VolumeSettings before = e.settings;
            e.malformed = false;
            e.settings = new VolumeSettings(name, device, options);
            CowVolume v;
            try {
                v = table.mountNow(e);
            } catch (IOException | RuntimeException ex) {
                e.settings = before; // a configured volume keeps its configuration; a new one is not recorded
                throw ex;
            }
            // Recorded with the image's algorithm, so a device formatted again is not mounted by mistake.
            e.settings = e.settings.with(options.checksum(v.checksum()));
            table.put(e);
            persist(e);
            return v;
        }
    }

    @Override
    public void unmount(String name) throws IOException {
        String pid;
        synchronized (table.lock()) {
            MountEntry e = table.require(name);
            table.unmount(e); // a commit that cannot be done now fails here, and the volume stays
            table.remove(e);
            pid = e.pid;
        }
        forget(pid);
    }

    @Override
    public Optional<MountOptions> options(String name) {
        return table.options(name);
    }

    @Override
    public void allocationPolicy(String name, String policy) throws IOException {
        installed.requirePolicy(policy);
        synchronized (table.lock()) {
            MountEntry e = table.require(name);
            if (e.volume != null) {
                e.volume.allocationPolicy(policy);
            }
            e.settings = e.settings.with(e.settings.options().allocationPolicy(policy));
            persist(e);
        }
        log.info("volume " + name + " allocates with " + policy + " from now on");
    }

    @Override
    public void dioStrategy(String name, String strategy) throws IOException {
        installed.requireStrategy(strategy);
        synchronized (table.lock()) {
            MountEntry e = table.require(name);
            if (e.volume != null) {
                e.volume.dioStrategy(strategy);
            }
            e.settings = e.settings.with(e.settings.options().dioStrategy(strategy));
            persist(e);
        }
        log.info("volume " + name + " executes direct writes with " + strategy + " from now on");
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
