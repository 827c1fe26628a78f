package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.scrub.CheckReport;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.cowstack.storage.cow.fs.CowVolume;
import org.osgi.framework.BundleContext;

/**
 * Every volume the engine knows, by name: mounted, or configured and waiting for a
 * service, or failed, with the reason. A mounted volume is served here: registered as a
 * {@link Volume} service whose properties follow its state, and committed by a timer at
 * its commit interval.
 *
 * <p>{@link #lock()} serialises mounting, unmounting and reconfiguring, here and in the
 * classes that change several entries at once; it is never held while waiting for a
 * volume's operations to finish. The entries can be read without it.
 */
final class MountTable {
    private final InstalledServices installed;
    private final EngineLog log;
    /** Every volume mounted or configured, by name. Changed under {@link #lock}. */
    private final Map<String, MountEntry> entries = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private ScheduledExecutorService committer;
    private volatile BundleContext context;
    private volatile boolean open;
    /** Page cache size of every volume mounted from now on (the engine's configuration). */
    private volatile long cacheBytes = CowVolume.DEFAULT_CACHE_BYTES;

    MountTable(InstalledServices installed, EngineLog log) {
        this.installed = installed;
        this.log = log;
    }

    /** The engine is active: volumes may be mounted, and are registered through {@code context}. */
    void open(BundleContext context) {
        this.committer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "storage: commit interval");
            t.setDaemon(true);
            return t;
        });
        synchronized (lock) {
            this.context = context;
            this.open = true;
        }
    }

    /** The engine stops: every volume is committed and unmounted and forgotten here (its configuration stays). */
    void close(String why) {
        synchronized (lock) {
            open = false;
            for (MountEntry e : entries()) {
                unmountQuietly(e, why);
            }
            entries.clear();
        }
        committer.shutdownNow();
    }

    /** Whether the engine is active: nothing is mounted before or after. */
    boolean isOpen() {
        return open;
    }

    /** Serialises mounting, unmounting and reconfiguring; never held while waiting for a volume's operations. */
    Object lock() {
        return lock;
    }

    // ------------------------------------------------------------------ entries

    MountEntry get(String name) {
        return entries.get(name);
    }

    MountEntry require(String name) throws NoSuchFileException {
        MountEntry e = entries.get(name);
        if (e == null) {
            throw new NoSuchFileException(name, null, "no volume of that name is mounted");
        }
        return e;
    }

    boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** A snapshot of the entries, to go through while they change. */
    List<MountEntry> entries() {
        return new ArrayList<>(entries.values());
    }

    /** The entries whose device is of this scheme. */
    List<MountEntry> on(String scheme) {
        List<MountEntry> out = new ArrayList<>();
        for (MountEntry e : entries.values()) {
            URI device = e.settings.device();
            if (device != null && scheme.equalsIgnoreCase(device.getScheme())) {
                out.add(e);
            }
        }
        return out;
    }

    /** Adds or replaces the entry of its name; with the lock held. */
    void put(MountEntry e) {
        entries.put(e.name(), e);
    }

    /** Removes the entry if it is still the one of its name; with the lock held. */
    void remove(MountEntry e) {
        entries.remove(e.name(), e);
    }

    /** A device that a volume is mounted on is neither formatted nor mounted a second time. */
    void requireNotMounted(URI device) throws BusyException {
        for (MountEntry e : entries.values()) {
            if (e.volume != null && device.equals(e.settings.device())) {
                throw new BusyException(device.toString(), "it is mounted as " + e.name());
            }
        }
    }

    /**
     * Formats a device no volume is mounted on; see {@link org.cowstack.storage.api.volume.VolumeManager#mkfs}.
     * A format that fails leaves the host as it was: the device is closed with
     * {@link BlockDevice#closeAndRemoveCreated()}, so one this mkfs created (an image file
     * with the directories made for it, a RAM disk) is removed, and one that existed
     * before is only closed.
     */
    FormatResult format(URI device, FormatOptions options) throws IOException {
        requireNotMounted(device);
        DeviceProvider p = installed.provider(device);
        OpenOptions open = options.size() > 0 ? OpenOptions.create(options.size()) : OpenOptions.readWrite();
        BlockDevice d = p.open(device, open);
        FormatResult r;
        try {
            r = CowVolume.format(d, options, installed, MountOptions.defaults().allocationPolicy());
        } catch (IOException | RuntimeException | Error e) {
            try {
                d.closeAndRemoveCreated();
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        d.close();
        log.info("formatted " + device + ": " + r.size() + " bytes, " + r.blockSize() + "-byte blocks, "
                + r.checksum() + ", uuid " + r.uuid());
        return r;
    }

    /** The volume mounted on {@code device} now, or null. */
    CowVolume mountedOn(URI device) {
        for (MountEntry e : entries.values()) {
            CowVolume v = e.volume;
            if (v != null && device.equals(e.settings.device())) {
                return v;
            }
        }
        return null;
    }

    /**
     * Checks the image on a device; see {@link org.cowstack.storage.api.volume.VolumeManager#check}.
     * Not under the lock: a check may take long, and it only reads. A device mounted here
     * is checked through its volume (opening it a second time would read a commit the
     * volume is about to overwrite); any other is opened read-only and always closed.
     */
    CheckReport check(URI device) throws IOException {
        CowVolume mounted = mountedOn(device);
        if (mounted != null) {
            return mounted.check();
        }
        DeviceProvider p = installed.provider(device);
        try (BlockDevice d = p.open(device, OpenOptions.readOnly())) {
            return CowVolume.check(d, installed).report();
        }
    }

    // ------------------------------------------------------------------ mounting

    /**
     * Mounts a configured volume if every service it needs is there, otherwise records
     * what it waits for; a mount that fails leaves it FAILED with the reason, and nothing
     * mounted. Called with the lock held.
     */
    void tryMount(MountEntry e) {
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

    /** Opens the device, mounts, registers the Volume service and starts the commit timer; with the lock held. */
    CowVolume mountNow(MountEntry e) throws IOException {
        VolumeSettings s = e.settings;
        DeviceProvider p = installed.provider(s.device());
        MountOptions o = s.options();
        BlockDevice d = p.open(s.device(), o.readOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
        CowVolume volume;
        try {
            // A remount to read-write opens the device again through the provider installed then.
            volume = CowVolume.mount(s.name(), s.device(), d, installed, o, cacheBytes,
                    readOnly -> installed.provider(s.device()).open(s.device(),
                            readOnly ? OpenOptions.readOnly() : OpenOptions.readWrite()));
        } catch (IOException | RuntimeException ex) {
            d.close();
            throw ex;
        }
        volume.log(log::warn);
        e.serve(volume, context);
        e.timer = schedule(volume, o.commitInterval());
        log.info("mounted " + s.name() + " on " + s.device() + " (" + volume.state() + ", generation "
                + volume.committedGeneration() + ", " + o + ")");
        return volume;
    }

    /** The page cache size of every volume: those mounted now change at once, the next ones mount with it. */
    void cacheBytes(long bytes) {
        cacheBytes = bytes;
        for (MountEntry e : entries.values()) {
            CowVolume v = e.volume;
            if (v != null) {
                v.cacheSize(bytes);
            }
        }
    }

    long cacheBytes() {
        return cacheBytes;
    }

    /** Commits the mounted volume at this interval from now on, instead of the one it had. */
    void reschedule(MountEntry e, Duration interval) {
        e.timer.cancel(false);
        e.timer = schedule(e.volume, interval);
    }

    private ScheduledFuture<?> schedule(CowVolume volume, Duration interval) {
        long ms = interval.toMillis();
        return committer.scheduleWithFixedDelay(() -> commitQuietly(volume), ms, ms, TimeUnit.MILLISECONDS);
    }

    private void commitQuietly(CowVolume volume) {
        try {
            volume.commitIfDirty();
        } catch (IOException | RuntimeException e) {
            log.warn("volume " + volume.name() + ": the periodic commit failed: " + e.getMessage());
        }
        MountEntry e = entries.get(volume.name());
        if (e != null && e.volume == volume) {
            e.updateProperties();
        }
    }

    /**
     * Commits and unmounts the entry's volume, which is then not served any more; a commit
     * that cannot be done now fails here, and the volume stays mounted. With the lock held.
     */
    void unmount(MountEntry e) throws IOException {
        CowVolume v = e.volume;
        if (v != null) {
            v.unmount();
            e.stopServing();
            log.info("unmounted " + e.name());
        }
    }

    /** Commits and unmounts; when the commit cannot be done the volume is closed anyway and the loss logged. */
    void unmountQuietly(MountEntry e, String why) {
        CowVolume v = e.volume;
        if (v == null) {
            return;
        }
        e.stopServing();
        try {
            v.unmount();
            log.info("unmounted " + e.name() + ": " + why);
        } catch (IOException ex) {
            log.error("volume " + e.name() + " was closed without its last changes (" + why + "): " + ex.getMessage());
            abandonQuietly(e.name(), v);
        }
    }

    /**
     * Forgets the mounted volume of an entry (unregistered, timer stopped) without
     * committing: it is closed or offline.
     */
    void dropMounted(MountEntry e) {
        CowVolume v = e.volume;
        if (v == null) {
            return;
        }
        e.stopServing();
        abandonQuietly(e.name(), v);
    }

    private void abandonQuietly(String name, CowVolume v) {
        try {
            v.abandon();
        } catch (IOException ex) {
            log.warn("volume " + name + ": closing its device failed: " + ex.getMessage());
        }
    }

    Optional<MountOptions> options(String name) {
        MountEntry e = entries.get(name);
        return e == null ? Optional.empty() : Optional.of(e.settings.options());
    }

    Optional<Volume> volume(String name) {
        MountEntry e = entries.get(name);
        CowVolume v = e == null ? null : e.volume;
        return Optional.ofNullable(v);
    }

    /** The mounted volumes, by name. */
    List<Volume> volumes() {
        List<Volume> out = new ArrayList<>();
        for (MountEntry e : entries.values()) {
            CowVolume v = e.volume;
            if (v != null) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparing(Volume::name));
        return out;
    }

    /** Every volume known, mounted or not, by name: what it waits for or why it failed. */
    List<VolumeStatus> status() {
        List<VolumeStatus> out = new ArrayList<>();
        for (MountEntry e : entries.values()) {
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
