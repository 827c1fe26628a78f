package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.DeviceProviderService;
import org.cowstack.storage.api.device.DeviceUri;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.s3.S3Stores;
import org.cowstack.storage.device.base.OpenDevices;
import org.cowstack.storage.s3.client.S3Client;
import org.cowstack.storage.s3.client.S3Exception;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;

/**
 * {@code s3:STORE[/VOLUME]}: a device on a configured S3 store, its objects under the
 * store's prefix (and {@code VOLUME/} below it, so one store holds several devices). See
 * {@link S3Device} for the layout and the commit rule.
 */
@Component(service = {DeviceProvider.class, S3DeviceProvider.class})
@DeviceProviderService(scheme = "s3")
public final class S3DeviceProvider implements DeviceProvider {
    private static final Pattern OBJECT = Pattern.compile("[0-9a-f]{4}/([0-9a-f]{12})-([0-9a-f]+)");
    /** Configured stores by name. */
    private final Map<String, S3Store> stores = new ConcurrentHashMap<>();
    private final ConfigurationState configurations = new ConfigurationState();
    private final OpenDevices open = new OpenDevices();
    private final ExecutorService uploads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "s3-upload");
        t.setDaemon(true);
        return t;
    });

    @Override
    public String description() {
        return "volumes on an S3-compatible object store: s3:STORE[/VOLUME] (stores are configured, storage:s3 stores)";
    }

    /** Config Admin, when there is one: read at activation (see {@link #activate}). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL)
    private ConfigurationAdmin configAdmin;

    /**
     * Takes the stores configured so far before this provider serves its first open: the
     * engine may mount a volume on {@code s3:} as soon as it gets this service (at start,
     * after an update of this bundle), before {@link S3StoreComponent}s are activated. A
     * configuration this cannot use is left to its component, which reports it.
     */
    @Activate
    void activate(BundleContext context) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            return;
        }
        try {
            Configuration[] found = ca.listConfigurations("(service.factoryPid=" + S3Stores.FACTORY_PID + ")");
            for (Configuration c : found == null ? new Configuration[0] : found) {
                try {
                    configured(c.getPid(), S3StoreComponent.store(S3StoreComponent.configuration(c.getProperties()),
                            context));
                } catch (RuntimeException unusable) {
                    // its component refuses it with one line
                }
            }
        } catch (IOException | InvalidSyntaxException e) {
            System.getLogger("org.cowstack.storage.s3").log(System.Logger.Level.WARNING,
                    "s3: the configured stores could not be listed now: " + e.getMessage());
        }
    }

    /** Adds a store directly (tests and embedders without Config Admin). */
    public void addStore(S3Store store) {
        stores.put(store.name(), store);
    }

    /** A store's configuration was created or changed (see {@link S3StoreComponent}). */
    void configured(String pid, S3Store store) {
        String previous = configurations.nameOf(pid);
        if (previous != null && !previous.equals(store.name())) {
            stores.remove(previous);
        }
        String other = configurations.pidOf(store.name());
        if (other != null && !other.equals(pid)) {
            refused(pid, "s3: store " + store.name() + " not configured: configuration " + other
                    + " has that name already");
            return;
        }
        stores.put(store.name(), store);
        configurations.applied(pid, store.name());
    }

    /** A configuration that describes no usable store: why, for {@code storage:s3 add}. */
    void refused(String pid, String why) {
        configurations.refused(pid, why);
    }

    /** A store's configuration is gone: devices open on it stay open until closed. */
    void unconfigured(String pid) {
        String name = configurations.removed(pid);
        if (name != null) {
            stores.remove(name);
        }
    }

    ConfigurationState configurations() {
        return configurations;
    }

    /** The configured stores, by name. */
    java.util.SortedMap<String, S3Store> stores() {
        return new java.util.TreeMap<>(stores);
    }

    /** The devices open now on a store. */
    java.util.List<S3Device> devicesOf(String store) {
        java.util.List<S3Device> out = new java.util.ArrayList<>();
        for (Object d : open.devices()) {
            if (d instanceof S3Device s && storeOf(s.uri().getSchemeSpecificPart()).equals(store)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The store a device path {@code STORE[/VOLUME]} names. */
    private static String storeOf(String path) {
        int slash = path.indexOf('/');
        return slash < 0 ? path : path.substring(0, slash);
    }

    @Override
    public BlockDevice open(URI uri, OpenOptions options) throws IOException {
        DeviceUri parsed = DeviceUri.parse(uri, scheme(), Set.of());
        String path = parsed.path();
        String storeName = storeOf(path);
        String volume = path.substring(storeName.length()).replaceFirst("^/", "");
        S3Store store = stores.get(storeName);
        if (store == null) {
            throw new NoSuchFileException(uri.toString(), null, "no S3 store " + storeName
                    + " is configured (storage:s3 stores lists them)");
        }
        String prefix = store.prefix() + (volume.isEmpty() ? "" : volume.endsWith("/") ? volume : volume + "/");
        boolean readOnly = options.isReadOnly();
        return open.open(path, readOnly, uri.toString(), () -> {
            S3Client s3 = store.client();
            S3Client.Versioned found;
            try {
                found = s3.getVersioned(Manifest.manifestKey(prefix));
            } catch (S3Exception e) {
                throw new IOException("s3:" + path + ": " + (e.accessDenied()
                        ? "the store refused the credentials of " + store.name() + " (" + e.getMessage() + ")"
                        : e.getMessage()), e);
            }
            Manifest manifest;
            String etag;
            if (found == null) {
                if (readOnly || !options.isCreate()) {
                    throw new NoSuchFileException(uri.toString(), null,
                            "no device there (no manifest under " + store.bucket() + "/" + prefix + ")");
                }
                long size = options.size() - options.size() % 4096;
                manifest = new Manifest(size, 4096, store.objectSize(), 0, Map.of());
                try {
                    etag = s3.put(Manifest.manifestKey(prefix), manifest.encode(), S3Client.Condition.ABSENT);
                } catch (S3Exception e) {
                    throw new IOException("s3:" + path + ": " + (e.preconditionFailed()
                            ? "another writer created the device at the same moment" : e.getMessage()), e);
                }
            } else {
                manifest = Manifest.decode(found.body(), "s3:" + path);
                etag = found.etag();
                if (!readOnly) {
                    collectGarbage(s3, prefix, manifest);
                }
            }
            if (manifest.objectSize > store.cacheBytes()) {
                throw new IOException("s3:" + path + ": its objects of " + manifest.objectSize + " bytes do not fit "
                        + "the cache of store " + store.name() + " (" + store.cacheBytes() + " bytes)");
            }
            ObjectCache cache = new ObjectCache(store.cacheDir(), manifest.objectSize, store.cacheBytes());
            return new S3Device(uri, path, s3, prefix, manifest, etag, cache, readOnly, uploads,
                    store.retainGenerations(), S3Device.DEFAULT_READ_AHEAD, store.parallelUploads());
        });
    }

    /**
     * Deletes objects no manifest can name again: those of a generation up to the
     * manifest's that it neither names nor keeps as garbage for older readers (a crashed
     * flush's uploads, deletes that failed). Newer ones may be another writer's uploads in
     * flight, and are left alone.
     */
    private static void collectGarbage(S3Client s3, String prefix, Manifest manifest) throws IOException {
        Set<List<Long>> kept = new HashSet<>(); // {index, version} of each object kept for older readers
        manifest.garbage.forEach(g -> kept.add(List.of(g[0], g[1])));
        for (S3Client.ObjectInfo o : s3.list(prefix)) {
            Matcher m = OBJECT.matcher(o.key().substring(prefix.length()));
            if (!m.matches()) {
                continue;
            }
            long index = Long.parseLong(m.group(1), 16);
            long version = Long.parseUnsignedLong(m.group(2), 16);
            if (Manifest.generationOf(version) <= manifest.generation
                    && !Long.valueOf(version).equals(manifest.objects.get(index))
                    && !kept.contains(List.of(index, version))) {
                s3.delete(o.key());
            }
        }
    }

    /** Closes every device this provider opened. */
    @Deactivate
    public void deactivate() throws IOException {
        IOException failure = open.closeAll();
        uploads.shutdown();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * A store's row as {@code storage:s3 stores} shows it (its listing and the counters of
     * the devices open on it now), for embedders without the {@code S3Stores} service,
     * such as the benchmarks; null when no store has that name.
     */
    public org.cowstack.storage.api.s3.S3StoreInfo usage(String store) {
        S3Store s = stores.get(store);
        return s == null ? null : S3StoreAdmin.info(s, devicesOf(store));
    }
}
