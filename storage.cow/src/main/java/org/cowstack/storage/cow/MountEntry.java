package org.cowstack.storage.cow;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.ScheduledFuture;

import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.cow.fs.CowVolume;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * One volume of the {@link MountTable}: its settings (as configured, or as last mounted
 * and changed), its configuration PID (null when not recorded), and the mounted volume
 * with its {@link Volume} service and commit timer, or why there is none. Its fields are
 * changed with the table's lock held and read without it.
 */
final class MountEntry {
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

    MountEntry(VolumeSettings settings, String pid) {
        this.settings = settings;
        this.pid = pid;
    }

    String name() {
        return settings.name();
    }

    /** A volume was just mounted for this entry: it is registered as a Volume service (its timer is set next). */
    void serve(CowVolume mounted, BundleContext context) {
        volume = mounted;
        state = mounted.state();
        detail = "";
        registration = context.registerService(Volume.class, mounted, properties(mounted));
    }

    /** Brings the Volume service's properties up to date with its volume (its state, mostly). */
    void updateProperties() {
        ServiceRegistration<Volume> r = registration;
        CowVolume v = volume;
        if (r != null && v != null) {
            try {
                r.setProperties(properties(v));
            } catch (IllegalStateException gone) {
                // unregistered meanwhile
            }
        }
    }

    /**
     * The volume is not served any more: its timer is stopped, its service unregistered, and
     * the entry forgets it (OFFLINE, not mounted). Closing it is the caller's business.
     */
    void stopServing() {
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        ServiceRegistration<Volume> r = registration;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // unregistered with the bundle
            }
        }
        volume = null;
        registration = null;
        timer = null;
        state = VolumeState.OFFLINE;
        detail = "";
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
}
