package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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
import org.osgi.framework.ServiceRegistration;
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

    /** Every volume mounted or configured, by name. Changed under {@link #mountLock}. */
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Serialises mounting, unmounting and reconfiguring; never held while waiting for a volume's operations. */
    private final Object mountLock = new Object();
    private ScheduledExecutorService committer;
    private volatile BundleContext context;
    private volatile boolean active;
    private DefaultVolume defaultVolume;
    private boolean defaultVolumeDone;

    @Reference(name = "log", service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    private volatile Logger logger;
    private final EngineLog log = new EngineLog(() -> logger);
    private final InstalledServices installed = new InstalledServices(log);

    /**
     * Mandatory: without it a volume mounted before it arrived would be recorded late, or
     * twice (the default volume's setup could not see the configuration of the last run).
     */
    @Reference(policy = ReferencePolicy.DYNAMIC)
    private volatile ConfigurationAdmin configAdmin;

    /**
     * One volume: its settings (as configured, or as last mounted and changed), its
     * configuration PID (null when not recorded), and the mounted volume, or why there is none.
     */
    private static final class Entry {
        volatile VolumeSettings settings;
        volatile String pid;
        volatile CowVolume volume;
        volatile ServiceRegistration<Volume> registration;
        volatile ScheduledFuture<?> timer;
        /** Not mounted: OFFLINE or SUSPENDED (waiting for {@link #detail}) or FAILED (because of it). */
        volatile VolumeState state = VolumeState.OFFLINE;
        volatile String detail = "";
        /** The configuration cannot be read: nothing is mounted until it is corrected. */
        volatile boolean malformed;

        Entry(VolumeSettings settings, String pid) {
            this.settings = settings;
            this.pid = pid;
        }

        String name() {
            return settings.name();
        }
    }

    // ------------------------------------------------------------------ services coming and going

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(DeviceProvider provider, Map<String, Object> properties) {
        String scheme = installed.addDevice(provider, properties);
        if (scheme == null) {
            return;
        }
        for (Entry e : entriesOn(scheme)) {
            CowVolume v = e.volume;
            if (v != null && v.state() == VolumeState.OFFLINE && !v.isClosed()) {
                reattach(e, v, provider);
            }
        }
        servicesArrived();
    }

    /** The device backend is back: the offline volume gets its device again, or is mounted afresh. */
    private void reattach(Entry e, CowVolume v, DeviceProvider provider) {
        VolumeSettings s = e.settings;
        try {
            BlockDevice d = provider.open(s.device(), v.isReadOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
            if (v.deviceArrived(d)) {
                log.info("volume " + e.name() + " is back on " + s.device());
                updateProperties(e);
                return;
            }
            d.close();
        } catch (IOException | RuntimeException ex) {
            log.warn("volume " + e.name() + ": " + s.device() + " could not be opened again: " + ex.getMessage());
        }
        synchronized (mountLock) {
            log.warn("volume " + e.name() + ": " + s.device() + " no longer holds what the volume committed; mounting it "
                    + "afresh (open files of the volume are invalid)");
            dropMounted(e);
            tryMount(e);
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
        for (Entry e : entriesOn(scheme)) {
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
            updateProperties(e);
        }
    }

    private List<Entry> entriesOn(String scheme) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            URI device = e.settings.device();
            if (device != null && scheme.equalsIgnoreCase(device.getScheme())) {
                out.add(e);
            }
        }
        return out;
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
        for (Entry e : new ArrayList<>(entries.values())) {
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
            updateProperties(e);
        }
    }

    private void forEachMounted(java.util.function.Predicate<CowVolume> bind) {
        for (Entry e : entries.values()) {
            CowVolume v = e.volume;
            if (v != null && bind.test(v)) {
                log.info("volume " + e.name() + " resumed: " + (v.waitingFor().isEmpty() ? "nothing missing"
                        : "still waiting for " + v.waitingFor()));
                updateProperties(e);
            }
        }
    }

    /** A service arrived: configured volumes that were waiting for it are mounted now. */
    private void servicesArrived() {
        if (!active) {
            return;
        }
        synchronized (mountLock) {
            for (Entry e : new ArrayList<>(entries.values())) {
                if (e.volume == null) {
                    tryMount(e);
                }
            }
        }
        setUpDefaultVolume();
    }

    // ------------------------------------------------------------------ life cycle

    @Activate
    void activate(BundleContext bundleContext) {
        this.committer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "storage: commit interval");
            t.setDaemon(true);
            return t;
        });
        synchronized (mountLock) {
            defaultVolume = DefaultVolume.of(bundleContext.getProperty(DefaultVolume.VOLUME),
                    bundleContext.getProperty(DefaultVolume.HOME));
            this.context = bundleContext;
            this.active = true;
        }
        servicesArrived();
    }

    /**
     * Sets up the default volume, once, as soon as this component is active and has the
     * file backend, checksum and policy it needs: whichever of them arrives last calls
     * this from its bind, during framework start, so the volume is there before the
     * executable runs its commands.
     */
    private void setUpDefaultVolume() {
        synchronized (mountLock) {
            if (!active || defaultVolume == null || defaultVolumeDone
                    || !defaultVolume.canSetUp(installed)) {
                return;
            }
            defaultVolumeDone = true;
            try {
                defaultVolume.setUp(this, isConfigured(defaultVolume.name()));
                Entry e = entries.get(defaultVolume.name());
                if (e != null && e.volume == null) {
                    tryMount(e); // its configuration arrived before its image was there
                }
            } catch (IOException | RuntimeException e) {
                log.error("the default volume " + defaultVolume.name() + " on " + defaultVolume.image()
                        + " could not be set up: " + e.getMessage());
            }
        }
    }

    /** Whether a volume of this name is configured, or known: the default volume is then not created again. */
    private boolean isConfigured(String name) {
        if (entries.containsKey(name)) {
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
        synchronized (mountLock) {
            active = false;
            for (Entry e : new ArrayList<>(entries.values())) {
                unmountQuietly(e, "the engine stopped");
            }
            entries.clear();
        }
        committer.shutdownNow();
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
                synchronized (mountLock) {
                    Entry e2 = entries.get(name);
                    if (e2 == null || pid.equals(e2.pid)) {
                        if (e2 != null) {
                            dropMounted(e2);
                        }
                        Entry bad = new Entry(new VolumeSettings(name, null, MountOptions.defaults()), pid);
                        bad.malformed = true;
                        bad.state = VolumeState.FAILED;
                        bad.detail = "malformed configuration: " + e.getMessage();
                        entries.put(name, bad);
                    }
                }
            }
            return;
        }
        synchronized (mountLock) {
            if (!active) {
                return;
            }
            removeOtherNamesOf(pid, s.name());
            Entry e = entries.get(s.name());
            if (e == null) {
                e = new Entry(s, pid);
                entries.put(s.name(), e);
                tryMount(e);
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
        for (Entry other : new ArrayList<>(entries.values())) {
            if (pid.equals(other.pid) && !other.name().equals(name)) {
                unmountQuietly(other, "its configuration now names " + name);
                entries.remove(other.name(), other);
            }
        }
    }

    /** Applies changed settings: policies, intervals and timeouts in place; a new device or mode by mounting again. */
    private void reconfigure(Entry e, VolumeSettings s) {
        VolumeSettings old = e.settings;
        CowVolume v = e.volume;
        e.malformed = false;
        if (v == null || v.isClosed()) {
            e.settings = s;
            dropMounted(e);
            tryMount(e);
            return;
        }
        MountOptions was = old.options();
        MountOptions now = s.options();
        boolean remount = !old.device().equals(s.device()) || was.readOnly() != now.readOnly()
                || !(now.checksum().isEmpty() || now.checksum().equals(v.checksum()));
        if (remount) {
            log.info("volume " + s.name() + " is mounted again: its configuration changed device, mode or checksum");
            unmountQuietly(e, "its configuration changed");
            e.settings = s;
            tryMount(e);
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
            e.timer.cancel(false);
            e.timer = schedule(v, now.commitInterval());
        }
    }

    @Override
    public void unconfigured(String pid) {
        synchronized (mountLock) {
            for (Entry e : new ArrayList<>(entries.values())) {
                if (pid.equals(e.pid)) {
                    unmountQuietly(e, "its configuration is gone");
                    entries.remove(e.name(), e);
                }
            }
        }
    }

    /** Records the entry's settings as its configuration; a no-op without Config Admin. */
    private void persist(Entry e) {
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

    // ------------------------------------------------------------------ mounting

    /**
     * Mounts a configured volume if every service it needs is there, otherwise records
     * what it waits for; a mount that fails leaves it FAILED with the reason, and nothing
     * mounted. Called with the mount lock held.
     */
    private void tryMount(Entry e) {
        VolumeSettings s = e.settings;
        if (e.volume != null || e.malformed) {
            return;
        }
        String waiting = installed.missingFor(s);
        if (waiting != null) {
            e.state = waiting.startsWith("device") ? VolumeState.OFFLINE : VolumeState.SUSPENDED;
            e.detail = waiting;
            return;
        }
        try {
            mountNow(e);
        } catch (IOException | RuntimeException ex) {
            String reason = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            if (e.state != VolumeState.FAILED || !reason.equals(e.detail)) {
                log.error("volume " + e.name() + " could not be mounted from its configuration: " + reason);
            }
            e.state = VolumeState.FAILED;
            e.detail = reason;
        }
    }

    /** Opens the device, mounts, registers the Volume service and starts the commit timer. */
    private CowVolume mountNow(Entry e) throws IOException {
        VolumeSettings s = e.settings;
        DeviceProvider p = installed.provider(s.device());
        MountOptions o = s.options();
        BlockDevice d = p.open(s.device(), o.readOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
        CowVolume volume;
        try {
            volume = CowVolume.mount(s.name(), s.device(), d, installed, o, CowVolume.DEFAULT_CACHE_BYTES);
        } catch (IOException | RuntimeException ex) {
            d.close();
            throw ex;
        }
        e.volume = volume;
        e.state = volume.state();
        e.detail = "";
        e.registration = context.registerService(Volume.class, volume, properties(volume));
        e.timer = schedule(volume, o.commitInterval());
        log.info("mounted " + s.name() + " on " + s.device() + " (" + volume.state() + ", generation "
                + volume.committedGeneration() + ", " + o + ")");
        return volume;
    }

    private ScheduledFuture<?> schedule(CowVolume volume, java.time.Duration interval) {
        long ms = interval.toMillis();
        return committer.scheduleWithFixedDelay(() -> commitQuietly(volume), ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Forgets the mounted volume of an entry (unregistered, timer stopped) without committing: it is closed or offline. */
    private void dropMounted(Entry e) {
        CowVolume v = e.volume;
        if (v == null) {
            return;
        }
        stopServing(e);
        abandonQuietly(e.name(), v);
    }

    private void abandonQuietly(String name, CowVolume v) {
        try {
            v.abandon();
        } catch (IOException ex) {
            log.warn("volume " + name + ": closing its device failed: " + ex.getMessage());
        }
    }

    private void stopServing(Entry e) {
        ScheduledFuture<?> t = e.timer;
        if (t != null) {
            t.cancel(false);
        }
        ServiceRegistration<Volume> r = e.registration;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // unregistered with the bundle
            }
        }
        e.volume = null;
        e.registration = null;
        e.timer = null;
        e.state = VolumeState.OFFLINE;
        e.detail = "";
    }

    /** Commits and unmounts; when the commit cannot be done the volume is closed anyway and the loss logged. */
    private void unmountQuietly(Entry e, String why) {
        CowVolume v = e.volume;
        if (v == null) {
            return;
        }
        stopServing(e);
        try {
            v.unmount();
            log.info("unmounted " + e.name() + ": " + why);
        } catch (IOException ex) {
            log.error("volume " + e.name() + " was closed without its last changes (" + why + "): " + ex.getMessage());
            abandonQuietly(e.name(), v);
        }
    }

    /** A device that a volume is mounted on is neither formatted nor mounted a second time. */
    private void requireNotMounted(URI device) throws BusyException {
        for (Entry e : entries.values()) {
            if (e.volume != null && device.equals(e.settings.device())) {
                throw new BusyException(device.toString(), "it is mounted as " + e.name());
            }
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
        requireNotMounted(device);
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
        synchronized (mountLock) {
            if (!active) {
                throw new NotSupportedException("the storage engine is stopping");
            }
            Entry existing = entries.get(name);
            if (existing != null && existing.volume != null) {
                if (existing.settings.device().equals(device)) {
                    return existing.volume; // mounting again what is mounted changes nothing
                }
                throw new BusyException("volume name " + name, "it is mounted on " + existing.settings.device());
            }
            requireNotMounted(device);
            installed.requireInstalled(options);
            Entry e = existing != null ? existing : new Entry(new VolumeSettings(name, device, options), null);
            VolumeSettings before = e.settings;
            e.malformed = false;
            e.settings = new VolumeSettings(name, device, options);
            CowVolume v;
            try {
                v = mountNow(e);
            } catch (IOException | RuntimeException ex) {
                e.settings = before; // a configured volume keeps its configuration; a new one is not recorded
                throw ex;
            }
            // Recorded with the image's algorithm, so a device formatted again is not mounted by mistake.
            e.settings = e.settings.with(options.checksum(v.checksum()));
            entries.put(name, e);
            persist(e);
            return v;
        }
    }

    @Override
    public void unmount(String name) throws IOException {
        String pid;
        synchronized (mountLock) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new NoSuchFileException(name, null, "no volume of that name is mounted");
            }
            CowVolume v = e.volume;
            if (v != null) {
                v.unmount(); // a commit that cannot be done now fails here, and the volume stays
                stopServing(e);
                log.info("unmounted " + name);
            }
            entries.remove(name, e);
            pid = e.pid;
        }
        forget(pid);
    }

    @Override
    public Optional<MountOptions> options(String name) {
        Entry e = entries.get(name);
        return e == null ? Optional.empty() : Optional.of(e.settings.options());
    }

    @Override
    public void allocationPolicy(String name, String policy) throws IOException {
        installed.requirePolicy(policy);
        synchronized (mountLock) {
            Entry e = entry(name);
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
        synchronized (mountLock) {
            Entry e = entry(name);
            if (e.volume != null) {
                e.volume.dioStrategy(strategy);
            }
            e.settings = e.settings.with(e.settings.options().dioStrategy(strategy));
            persist(e);
        }
        log.info("volume " + name + " executes direct writes with " + strategy + " from now on");
    }

    private Entry entry(String name) throws NoSuchFileException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new NoSuchFileException(name, null, "no volume of that name is mounted");
        }
        return e;
    }

    private void commitQuietly(CowVolume volume) {
        try {
            volume.commitIfDirty();
        } catch (IOException | RuntimeException e) {
            log.warn("volume " + volume.name() + ": the periodic commit failed: " + e.getMessage());
        }
        Entry e = entries.get(volume.name());
        if (e != null && e.volume == volume) {
            updateProperties(e);
        }
    }

    private void updateProperties(Entry e) {
        ServiceRegistration<Volume> r = e.registration;
        CowVolume v = e.volume;
        if (r != null && v != null) {
            try {
                r.setProperties(properties(v));
            } catch (IllegalStateException gone) {
                // unregistered meanwhile
            }
        }
    }

    private static Dictionary<String, Object> properties(CowVolume v) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(Volume.PROP_NAME, v.name());
        p.put(Volume.PROP_UUID, v.uuid().toString());
        p.put(Volume.PROP_DEVICE, v.device().toString());
        p.put(Volume.PROP_STATE, v.state().name());
        p.put(Volume.PROP_CHECKSUM, v.checksum());
        return p;
    }

    @Override
    public Optional<Volume> volume(String name) {
        Entry e = entries.get(name);
        CowVolume v = e == null ? null : e.volume;
        return Optional.ofNullable(v);
    }

    @Override
    public List<Volume> volumes() {
        List<Volume> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            CowVolume v = e.volume;
            if (v != null) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparing(Volume::name));
        return out;
    }

    @Override
    public List<VolumeStatus> status() {
        List<VolumeStatus> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            CowVolume v = e.volume;
            URI device = e.settings.device();
            if (v != null) {
                VolumeState s = v.state();
                String detail = s == VolumeState.FAILED ? v.failure() : v.waitingFor();
                out.add(new VolumeStatus(e.name(), device, s, detail, true));
            } else {
                out.add(new VolumeStatus(e.name(), device, e.state, e.detail, false));
            }
        }
        out.sort(Comparator.comparing(VolumeStatus::name));
        return out;
    }
}
