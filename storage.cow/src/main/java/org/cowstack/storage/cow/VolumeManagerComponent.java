package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.cow.fs.VolumeServices;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
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
 * <p>Device providers, checksum algorithms and allocation policies are dynamic
 * references looked up at each use, so a volume picks up a replaced service at its next
 * operation. (Suspending volumes while a service is missing, and volumes as Config
 * Admin configurations, come with the hot-swap work.) Deactivation commits and
 * unmounts every volume.
 */
@Component(service = VolumeManager.class, immediate = true)
public final class VolumeManagerComponent implements VolumeManager, VolumeServices {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Map<String, DeviceProvider> devices = new ConcurrentHashMap<>();
    private final List<ChecksumAlgorithm> algorithms = new CopyOnWriteArrayList<>();
    private final Map<String, AllocationPolicy> policies = new ConcurrentHashMap<>();
    private final Map<String, DioStrategy> strategies = new ConcurrentHashMap<>();
    private final Map<String, Mounted> mounted = new ConcurrentHashMap<>();
    private final Object mountLock = new Object();
    private ScheduledExecutorService committer;
    private volatile BundleContext context;
    private DefaultVolume defaultVolume;
    private boolean defaultVolumeDone;

    @Reference(service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    private volatile Logger log;

    /** A mounted volume, its service registration and its commit timer. */
    private record Mounted(CowVolume volume, MountOptions options, ServiceRegistration<Volume> registration,
            ScheduledFuture<?> timer) {
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(DeviceProvider provider) {
        devices.put(provider.scheme().toLowerCase(Locale.ROOT), provider);
        setUpDefaultVolume();
    }

    /**
     * A backend is going away: Declarative Services calls this after unregistering it and
     * before deactivating it, so its devices are still open. Volumes on it are committed
     * and unmounted now, while that still works.
     */
    void removeDevice(DeviceProvider provider) {
        String scheme = provider.scheme().toLowerCase(Locale.ROOT);
        for (Mounted m : new ArrayList<>(mounted.values())) {
            if (scheme.equalsIgnoreCase(m.volume().device().getScheme())) {
                try {
                    unmount(m.volume().name());
                    warn("volume " + m.volume().name() + " was committed and unmounted: its device backend " + scheme
                            + ": is going away");
                } catch (IOException e) {
                    warn("volume " + m.volume().name() + " could not be committed before its device backend " + scheme
                            + ": went away: " + e.getMessage());
                }
            }
        }
        devices.remove(scheme, provider);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addChecksum(ChecksumAlgorithm algorithm) {
        algorithms.add(algorithm);
        setUpDefaultVolume();
    }

    /** Volumes using the algorithm commit with it while it is still here. */
    void removeChecksum(ChecksumAlgorithm algorithm) {
        commitVolumesWhere(v -> v.checksum().equals(algorithm.name()));
        algorithms.remove(algorithm);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPolicy(AllocationPolicy policy) {
        policies.put(policy.name(), policy);
        setUpDefaultVolume();
    }

    /**
     * Volumes using the policy commit with it while it is still here; it is then removed
     * while none of them is half-way through a change, so operations find it either there
     * or missing (SuspendedException) before they change anything.
     */
    void removePolicy(AllocationPolicy policy) {
        commitVolumesWhere(v -> v.allocationPolicy().equals(policy.name()));
        List<CowVolume> users = new ArrayList<>();
        mounted.values().forEach(m -> users.add(m.volume()));
        removeQuiesced(users, () -> policies.remove(policy.name(), policy));
    }

    private static void removeQuiesced(List<CowVolume> volumes, Runnable removal) {
        if (volumes.isEmpty()) {
            removal.run();
            return;
        }
        volumes.get(0).quiesce(() -> removeQuiesced(volumes.subList(1, volumes.size()), removal));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStrategy(DioStrategy strategy) {
        strategies.put(strategy.name(), strategy);
        setUpDefaultVolume();
    }

    /** A strategy keeps nothing: the next direct write asks whichever has the name then. */
    void removeStrategy(DioStrategy strategy) {
        strategies.remove(strategy.name(), strategy);
    }

    private void commitVolumesWhere(Predicate<CowVolume> uses) {
        for (Mounted m : new ArrayList<>(mounted.values())) {
            if (uses.test(m.volume())) {
                commitQuietly(m.volume());
            }
        }
    }

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
        }
        this.context = bundleContext;
        setUpDefaultVolume();
    }

    /**
     * Sets up the default volume, once, as soon as this component is active and has the
     * file backend, checksum and policy it needs: whichever of them arrives last calls
     * this from its bind, during framework start, so the volume is there before the
     * executable runs its commands.
     */
    private void setUpDefaultVolume() {
        synchronized (mountLock) {
            if (context == null || defaultVolume == null || defaultVolumeDone
                    || !devices.containsKey(DefaultVolume.SCHEME) || checksum(DefaultVolume.CHECKSUM) == null
                    || policies.get(MountOptions.defaults().allocationPolicy()) == null
                    || strategies.get(MountOptions.defaults().dioStrategy()) == null) {
                return;
            }
            defaultVolumeDone = true;
            try {
                defaultVolume.setUp(this);
            } catch (IOException | RuntimeException e) {
                Logger l = log;
                if (l != null) {
                    l.error("the default volume {} on {} could not be set up: {}", defaultVolume.name(),
                            defaultVolume.image(), e.getMessage());
                }
            }
        }
    }

    @Deactivate
    void deactivate() {
        for (String name : new ArrayList<>(mounted.keySet())) {
            try {
                unmount(name);
            } catch (IOException e) {
                warn("volume " + name + " could not be committed while the engine stopped: " + e.getMessage());
            }
        }
        committer.shutdownNow();
    }

    private void info(String message) {
        Logger l = log;
        if (l != null) {
            l.info(message);
        }
    }

    private void warn(String message) {
        Logger l = log;
        if (l != null) {
            l.warn(message);
        }
    }

    // ------------------------------------------------------------------ VolumeServices

    @Override
    public Collection<ChecksumAlgorithm> checksums() {
        return algorithms;
    }

    @Override
    public AllocationPolicy allocationPolicy(String name) {
        return policies.get(name);
    }

    @Override
    public DioStrategy dioStrategy(String name) {
        return strategies.get(name);
    }

    // ------------------------------------------------------------------ VolumeManager

    private DeviceProvider provider(URI device) throws IOException {
        String scheme = device.getScheme();
        if (scheme == null) {
            throw new InvalidArgumentException("device", device, "a URI with a scheme, such as file:vol.img or mem:disk");
        }
        DeviceProvider p = devices.get(scheme.toLowerCase(Locale.ROOT));
        if (p == null) {
            throw new NotSupportedException("no device backend for " + scheme + ": is installed; storage:devices "
                    + "lists those that are");
        }
        return p;
    }

    @Override
    public FormatResult mkfs(URI device, FormatOptions options) throws IOException {
        for (Mounted m : mounted.values()) {
            if (m.volume().device().equals(device)) {
                throw new BusyException(device.toString(), "it is mounted as " + m.volume().name());
            }
        }
        DeviceProvider p = provider(device);
        OpenOptions open = options.size() > 0 ? OpenOptions.create(options.size()) : OpenOptions.readWrite();
        try (BlockDevice d = p.open(device, open)) {
            FormatResult r = CowVolume.format(d, options, this, MountOptions.defaults().allocationPolicy());
            info("formatted " + device + ": " + r.size() + " bytes, " + r.blockSize() + "-byte blocks, "
                    + r.checksum() + ", uuid " + r.uuid());
            return r;
        }
    }

    @Override
    public Volume mount(String name, URI device, MountOptions options) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidArgumentException("volume name", name,
                    "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        synchronized (mountLock) {
            Mounted existing = mounted.get(name);
            if (existing != null) {
                if (existing.volume().device().equals(device)) {
                    return existing.volume(); // mounting again what is mounted changes nothing
                }
                throw new BusyException("volume name " + name, "it is mounted on " + existing.volume().device());
            }
            requireInstalled("allocation policy", options.allocationPolicy(), policies);
            requireInstalled("DIO strategy", options.dioStrategy(), strategies);
            DeviceProvider p = provider(device);
            BlockDevice d = p.open(device, options.readOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
            CowVolume volume;
            try {
                volume = CowVolume.mount(name, device, d, this, options, CowVolume.DEFAULT_CACHE_BYTES);
            } catch (IOException | RuntimeException e) {
                d.close();
                throw e;
            }
            ServiceRegistration<Volume> registration = context.registerService(Volume.class, volume,
                    properties(volume));
            long interval = options.commitInterval().toMillis();
            ScheduledFuture<?> timer = committer.scheduleWithFixedDelay(() -> commitQuietly(volume), interval,
                    interval, TimeUnit.MILLISECONDS);
            mounted.put(name, new Mounted(volume, options, registration, timer));
            info("mounted " + name + " on " + device + " (" + volume.state() + ", generation "
                    + volume.committedGeneration() + ")");
            return volume;
        }
    }

    private static void requireInstalled(String what, String name, Map<String, ?> installed)
            throws NotSupportedException {
        if (!installed.containsKey(name)) {
            throw new NotSupportedException(what + " " + name + " is not installed (installed: "
                    + String.join(", ", new java.util.TreeSet<>(installed.keySet())) + ")");
        }
    }

    @Override
    public Optional<MountOptions> options(String name) {
        Mounted m = mounted.get(name);
        return m == null ? Optional.empty() : Optional.of(m.options()
                .allocationPolicy(m.volume().allocationPolicy())
                .dioStrategy(m.volume().dioStrategy()));
    }

    @Override
    public void allocationPolicy(String name, String policy) throws IOException {
        CowVolume v = mountedVolume(name);
        requireInstalled("allocation policy", policy, policies);
        v.allocationPolicy(policy);
        info("volume " + name + " allocates with " + policy + " from now on");
    }

    @Override
    public void dioStrategy(String name, String strategy) throws IOException {
        CowVolume v = mountedVolume(name);
        requireInstalled("DIO strategy", strategy, strategies);
        v.dioStrategy(strategy);
        info("volume " + name + " executes direct writes with " + strategy + " from now on");
    }

    private CowVolume mountedVolume(String name) throws NoSuchFileException {
        Mounted m = mounted.get(name);
        if (m == null) {
            throw new NoSuchFileException(name, null, "no volume of that name is mounted");
        }
        return m.volume();
    }

    private void commitQuietly(CowVolume volume) {
        try {
            volume.commitIfDirty();
        } catch (IOException | RuntimeException e) {
            warn("volume " + volume.name() + ": the periodic commit failed: " + e.getMessage());
        }
        updateProperties(volume);
    }

    private void updateProperties(CowVolume volume) {
        Mounted m = mounted.get(volume.name());
        if (m != null && m.volume() == volume) {
            try {
                m.registration().setProperties(properties(volume));
            } catch (IllegalStateException e) {
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
    public void unmount(String name) throws IOException {
        Mounted m;
        synchronized (mountLock) {
            m = mounted.remove(name);
        }
        if (m == null) {
            throw new NoSuchFileException(name, null, "no volume of that name is mounted");
        }
        m.timer().cancel(false);
        try {
            m.registration().unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        m.volume().unmount();
        info("unmounted " + name);
    }

    @Override
    public Optional<Volume> volume(String name) {
        Mounted m = mounted.get(name);
        return m == null ? Optional.empty() : Optional.of(m.volume());
    }

    @Override
    public List<Volume> volumes() {
        List<Volume> out = new ArrayList<>();
        mounted.values().forEach(m -> out.add(m.volume()));
        out.sort(Comparator.comparing(Volume::name));
        return out;
    }
}
