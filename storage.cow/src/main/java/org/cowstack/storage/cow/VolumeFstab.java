package org.cowstack.storage.cow;

import static org.cowstack.storage.api.volume.VolumeManager.VOLUME_FACTORY_PID;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.cow.fs.CowVolume;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Which volumes exist, with which settings: the engine's fstab, kept in Config Admin as
 * one factory configuration per volume ({@value
 * org.cowstack.storage.api.volume.VolumeManager#VOLUME_FACTORY_PID}). It goes both ways.
 * The API's mount, unmount and policy setters change the {@link MountTable} and record
 * what they did here, so the same volumes are mounted again, with the same policies,
 * after a restart. A configuration arriving, changing or going (at start, or written by
 * other means) mounts, changes or unmounts its volume; a malformed one is shown as
 * FAILED and mounts nothing.
 *
 * <p>Every change of the table is made with its lock held, the recording included, so
 * a configuration the engine writes and then receives back finds its volume recorded.
 */
final class VolumeFstab {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final MountTable table;
    private final InstalledServices installed;
    private final Supplier<ConfigurationAdmin> configAdmin;
    private final EngineLog log;

    /** @param configAdmin answers the Config Admin bound now, or null while there is none (nothing is recorded then) */
    VolumeFstab(MountTable table, InstalledServices installed, Supplier<ConfigurationAdmin> configAdmin,
            EngineLog log) {
        this.table = table;
        this.installed = installed;
        this.configAdmin = configAdmin;
        this.log = log;
    }

    // ------------------------------------------------------------------ the API's changes, recorded

    /** Mounts a volume and records it; see {@link org.cowstack.storage.api.volume.VolumeManager#mount}. */
    Volume mount(String name, URI device, MountOptions options) throws IOException {
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
            MountEntry e = existing != null ? existing
                    : new MountEntry(new VolumeSettings(name, device, options), null);
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

    /** Unmounts a volume and deletes its configuration; a commit that cannot be done now fails, and it stays. */
    void unmount(String name) throws IOException {
        String pid;
        synchronized (table.lock()) {
            MountEntry e = table.require(name);
            table.unmount(e);
            table.remove(e);
            pid = e.pid;
        }
        forget(pid);
    }

    /** Changes a volume's allocation policy, mounted or not, and records it. */
    void allocationPolicy(String name, String policy) throws IOException {
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

    /** Changes a volume's DIO strategy, mounted or not, and records it. */
    void dioStrategy(String name, String strategy) throws IOException {
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

    /**
     * Changes a volume's mode in place and records it. The volume's operations in flight
     * are awaited without the table's lock held; the entry is then updated if it still
     * holds the same volume.
     */
    void remount(String name, boolean readOnly) throws IOException {
        CowVolume v;
        synchronized (table.lock()) {
            v = table.require(name).volume;
        }
        if (v != null) {
            v.remount(readOnly);
        }
        synchronized (table.lock()) {
            MountEntry e = table.require(name);
            if (e.volume == v) {
                e.settings = e.settings.with(e.settings.options().readOnly(readOnly));
                persist(e);
                e.updateProperties();
            }
        }
        log.info("volume " + name + " is " + (readOnly ? "read-only" : "read-write") + " from now on"
                + (v == null ? " (when it is mounted)" : ""));
    }

    /** Mounts a read-only volume again from its device; see {@link org.cowstack.storage.api.volume.VolumeManager#refresh}. */
    long refresh(String name) throws IOException {
        synchronized (table.lock()) {
            MountEntry e = table.require(name);
            if (e.volume == null) {
                throw new InvalidArgumentException("volume", name, "a mounted volume");
            }
            if (!e.settings.options().readOnly()) {
                throw new InvalidArgumentException("volume", name, "a volume mounted read-only (one mounted "
                        + "read-write holds the newest commit: its own)");
            }
            String waiting = installed.missingFor(e.settings);
            if (waiting != null) {
                throw new InvalidArgumentException("volume", name, "a volume whose services are all installed (it "
                        + "waits for " + waiting + ")");
            }
            table.unmount(e);
            CowVolume v;
            try {
                v = table.mountNow(e);
            } catch (IOException | RuntimeException ex) {
                e.state = VolumeState.FAILED;
                e.detail = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
                log.error("volume " + name + " could not be mounted again to refresh it: " + e.detail);
                throw ex;
            }
            log.info("volume " + name + " refreshed: generation " + v.committedGeneration());
            return v.committedGeneration();
        }
    }

    /** Whether a volume of this name is configured, or known: the default volume is then not created again. */
    boolean isConfigured(String name) {
        if (table.contains(name)) {
            return true;
        }
        ConfigurationAdmin ca = configAdmin.get();
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

    /** Records the entry's settings as its configuration; a no-op without Config Admin. */
    private void persist(MountEntry e) {
        ConfigurationAdmin ca = configAdmin.get();
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
        ConfigurationAdmin ca = configAdmin.get();
        if (ca == null || pid == null) {
            return;
        }
        try {
            ca.getConfiguration(pid, "?").delete();
        } catch (IOException | RuntimeException ex) {
            log.warn("volume configuration " + pid + " could not be deleted: " + ex.getMessage());
        }
    }

    // ------------------------------------------------------------------ configurations, applied

    /** A volume configuration was created or changed: its volume is mounted, changed, or shown as malformed. */
    void configured(String pid, Map<String, ?> properties) {
        VolumeSettings s;
        try {
            s = VolumeSettings.read(properties);
            checkName(s.name());
        } catch (InvalidArgumentException e) {
            malformed(pid, properties, e);
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

    /** A configuration that cannot be read: the volume it names, if any, is unmounted and shown FAILED with why. */
    private void malformed(String pid, Map<String, ?> properties, InvalidArgumentException why) {
        String name = VolumeSettings.nameOf(properties);
        log.error("volume configuration " + pid + (name == null ? "" : " (volume " + name + ")") + " is malformed and "
                + "mounts nothing: " + why.getMessage());
        if (name == null || !NAME.matcher(name).matches()) {
            return;
        }
        synchronized (table.lock()) {
            MountEntry e = table.get(name);
            if (e == null || pid.equals(e.pid)) {
                if (e != null) {
                    table.dropMounted(e);
                }
                MountEntry bad = new MountEntry(new VolumeSettings(name, null, MountOptions.defaults()), pid);
                bad.malformed = true;
                bad.state = VolumeState.FAILED;
                bad.detail = "malformed configuration: " + why.getMessage();
                table.put(bad);
            }
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

    /** Applies changed settings: mode, policies, intervals and timeouts in place; a new device or checksum by mounting again. */
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
        boolean remount = !old.device().equals(s.device())
                || !(now.checksum().isEmpty() || now.checksum().equals(v.checksum()));
        if (remount) {
            log.info("volume " + s.name() + " is mounted again: its configuration changed device or checksum");
            table.unmountQuietly(e, "its configuration changed");
            e.settings = s;
            table.tryMount(e);
            return;
        }
        e.settings = s;
        if (was.readOnly() != now.readOnly()) {
            try {
                v.remount(now.readOnly()); // in place: open files stay open
                log.info("volume " + s.name() + " is " + (now.readOnly() ? "read-only" : "read-write")
                        + ", as its configuration says");
            } catch (IOException ex) {
                log.error("volume " + s.name() + " could not be remounted " + (now.readOnly() ? "read-only" : "read-write")
                        + " as its configuration says: " + ex.getMessage());
                e.settings = s.with(now.readOnly(v.isReadOnly()));
            }
            e.updateProperties();
        }
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

    /** The configuration is gone (deleted, or its component stops): its volume is unmounted, the rest kept. */
    void unconfigured(String pid) {
        synchronized (table.lock()) {
            for (MountEntry e : table.entries()) {
                if (pid.equals(e.pid)) {
                    table.unmountQuietly(e, "its configuration is gone");
                    table.remove(e);
                }
            }
        }
    }

    private static void checkName(String name) throws InvalidArgumentException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidArgumentException("volume name", name,
                    "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }
}
