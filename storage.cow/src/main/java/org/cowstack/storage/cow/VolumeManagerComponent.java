package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.scrub.CheckReport;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The engine as a service: formats devices, mounts volumes and registers each mounted
 * volume as a {@link Volume} service with its name, uuid, device, state and checksum.
 * This class is the Declarative Services component only: it binds the services and
 * hands each event and call to the class that holds its concern.
 * <ul>
 * <li>{@link InstalledServices}: the plug-ins installed now, selected by the service
 * properties they are registered with;
 * <li>{@link HotSwap}: what a plug-in coming or going does to every volume;
 * <li>{@link MountTable}: the volumes known, mounted or waiting, and their
 * {@code Volume} services and commit timers;
 * <li>{@link VolumeFstab}: which volumes exist, as Config Admin configuration (see
 * {@link VolumeConfiguration}), recorded by the API and applied when it arrives;
 * <li>{@link EngineLog}: the log they share.
 * </ul>
 *
 * <p>Every service a mounted volume uses is a dynamic reference, bound into the volume
 * (see {@code VolumeBindings}); a bind or unbind may run before activation, during it,
 * or concurrently with the API. Deactivation (the engine stopping or updated) commits
 * and unmounts every volume and keeps the configuration, so the next engine mounts them
 * again.
 */
@Component(service = {VolumeManager.class, ConfiguredVolumes.class}, immediate = true,
        configurationPid = VolumeManager.ENGINE_PID)
@Designate(ocd = EngineConfiguration.class)
public final class VolumeManagerComponent implements VolumeManager, ConfiguredVolumes {
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
    private final HotSwap hotSwap = new HotSwap(installed, table, log);
    private final VolumeFstab fstab = new VolumeFstab(table, installed, () -> configAdmin, log);

    /** Set before the table opens, so whoever sees it open sees this. */
    private volatile DefaultVolume defaultVolume;
    /** Guarded by the table's lock. */
    private boolean defaultVolumeDone;

    // ------------------------------------------------------------------ services coming and going
    //
    // Each bind takes the service's properties: the engine selects a plug-in by them, as the
    // shell lists it, never by asking the service (see InstalledServices).

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(DeviceProvider provider, Map<String, Object> properties) {
        if (hotSwap.deviceArrived(provider, properties)) {
            setUpDefaultVolume();
        }
    }

    void removeDevice(DeviceProvider provider) {
        hotSwap.deviceGone(provider);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addChecksum(ChecksumAlgorithm algorithm, Map<String, Object> properties) {
        if (hotSwap.checksumArrived(algorithm, properties)) {
            setUpDefaultVolume();
        }
    }

    void removeChecksum(ChecksumAlgorithm algorithm) {
        hotSwap.checksumGone(algorithm);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPolicy(AllocationPolicy policy, Map<String, Object> properties) {
        if (hotSwap.policyArrived(policy, properties)) {
            setUpDefaultVolume();
        }
    }

    void removePolicy(AllocationPolicy policy) {
        hotSwap.policyGone(policy);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStrategy(DioStrategy strategy, Map<String, Object> properties) {
        if (hotSwap.strategyArrived(strategy, properties)) {
            setUpDefaultVolume();
        }
    }

    void removeStrategy(DioStrategy strategy) {
        hotSwap.strategyGone(strategy);
    }

    // ------------------------------------------------------------------ life cycle

    /** Activation without configuration (tests call this). */
    void activate(BundleContext bundleContext) {
        activate(bundleContext, Map.of());
    }

    /** Not named {@code activate}: Declarative Services would pick the one-argument form above first. */
    @Activate
    void start(BundleContext bundleContext, Map<String, Object> properties) {
        activate(bundleContext, properties);
    }

    private void activate(BundleContext bundleContext, Map<String, Object> properties) {
        configure(properties);
        defaultVolume = DefaultVolume.of(bundleContext.getProperty(DefaultVolume.VOLUME),
                bundleContext.getProperty(DefaultVolume.HOME));
        table.open(bundleContext);
        hotSwap.mountWaiting();
        setUpDefaultVolume();
    }

    /**
     * Sets up the default volume, once, as soon as this component is active and has the
     * file backend, checksum, policy and strategy it needs: whichever of them arrives last calls
     * this from its bind, during framework start, so the volume is there before the
     * executable runs its commands.
     */
    private void setUpDefaultVolume() {
        synchronized (table.lock()) {
            DefaultVolume d = defaultVolume;
            if (!table.isOpen() || d == null || defaultVolumeDone || !d.canSetUp(installed)) {
                return;
            }
            defaultVolumeDone = true;
            try {
                d.setUp(this, fstab.isConfigured(d.name()));
                MountEntry e = table.get(d.name());
                if (e != null && e.volume == null) {
                    table.tryMount(e); // its configuration arrived before its image was there
                }
            } catch (IOException | RuntimeException e) {
                log.error("the default volume " + d.name() + " on " + d.image() + " could not be set up: "
                        + e.getMessage());
            }
        }
    }

    /** The engine's configuration changed: applied to the mounted volumes without unmounting them. */
    @Modified
    void modified(Map<String, Object> properties) {
        configure(properties);
    }

    private void configure(Map<String, Object> properties) {
        EngineSettings s;
        try {
            s = EngineSettings.read(properties);
        } catch (InvalidArgumentException e) {
            s = EngineSettings.defaults();
            log.error("the engine configuration " + VolumeManager.ENGINE_PID + " is not valid (" + e.getMessage()
                    + "); the page cache size is the default, " + s.cacheBytes() + " bytes");
        }
        if (s.cacheBytes() != table.cacheBytes()) {
            table.cacheBytes(s.cacheBytes());
            log.info("page cache size of each volume: " + s.cacheBytes() + " bytes");
        }
    }

    @Deactivate
    void deactivate() {
        table.close("the engine stopped");
    }

    // ------------------------------------------------------------------ ConfiguredVolumes

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
        return table.format(device, options);
    }

    @Override
    public CheckReport check(URI device) throws IOException {
        return table.check(device);
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
    public void remount(String name, boolean readOnly) throws IOException {
        fstab.remount(name, readOnly);
    }

    @Override
    public long refresh(String name) throws IOException {
        return fstab.refresh(name);
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
