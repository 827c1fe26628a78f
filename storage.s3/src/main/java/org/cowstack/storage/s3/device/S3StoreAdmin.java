package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.s3.S3StoreInfo;
import org.cowstack.storage.api.s3.S3StoreSettings;
import org.cowstack.storage.api.s3.S3Stores;
import org.cowstack.storage.s3.client.Credentials;
import org.cowstack.storage.s3.client.S3Client;
import org.cowstack.storage.s3.client.S3Exception;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link S3Stores} over Config Admin: a store is a factory configuration, applied by
 * {@link S3StoreComponent}; {@link #add} checks the bucket with the given credentials
 * before it writes one, and waits until Declarative Services has applied it.
 */
@Component(service = S3Stores.class)
public final class S3StoreAdmin implements S3Stores {
    /** How long {@link #add} and {@link #remove} wait for Declarative Services to apply the configuration. */
    private static final long APPLY_MILLIS = 10_000;

    private final S3DeviceProvider provider;
    private final ConfigurationAdmin configAdmin;

    @Activate
    public S3StoreAdmin(@Reference S3DeviceProvider provider, @Reference ConfigurationAdmin configAdmin) {
        this.provider = provider;
        this.configAdmin = configAdmin;
    }

    @Override
    public List<S3StoreInfo> stores() {
        List<S3StoreInfo> out = new ArrayList<>();
        for (S3Store s : provider.stores().values()) {
            out.add(info(s, provider.devicesOf(s.name())));
        }
        return out;
    }

    /** A store's row: its listing (or why there is none) and its open devices' counters. */
    static S3StoreInfo info(S3Store s, List<S3Device> devices) {
        long objects = 0;
        long bytes = 0;
        String error = "";
        try {
            for (S3Client.ObjectInfo o : s.client().list(s.prefix())) {
                if (!o.key().endsWith("/")) { // some servers list directory placeholders
                    objects++;
                    bytes += o.size();
                }
            }
        } catch (IOException e) {
            objects = -1;
            bytes = -1;
            error = e.getMessage();
        }
        long hits = 0;
        long misses = 0;
        long puts = 0;
        long gets = 0;
        for (S3Device d : devices) {
            hits += d.cacheHits.get();
            misses += d.cacheMisses.get();
            puts += d.puts.get();
            gets += d.gets.get();
        }
        return new S3StoreInfo(s.name(), s.endpoint().toString(), s.region(), s.bucket(), s.prefix(), s.objectSize(),
                s.cacheBytes(), devices.size(), objects, bytes, hits, misses, puts, gets, error);
    }

    @Override
    public S3StoreInfo add(S3StoreSettings settings, boolean createBucket) throws IOException {
        S3Store store = validate(settings);
        if (provider.stores().containsKey(store.name())) {
            throw new InvalidArgumentException("store", store.name(), "a name no other store uses");
        }
        S3Client client = store.client();
        try {
            if (createBucket) {
                client.createBucket();
            } else if (!client.bucketExists()) {
                throw new InvalidArgumentException("bucket", store.bucket(), "an existing bucket of "
                        + store.endpoint() + " (or --create-bucket)");
            }
        } catch (S3Exception e) {
            throw new InvalidArgumentException("bucket", store.bucket(), (e.accessDenied()
                    ? "a bucket these credentials may use: " : "a bucket the server answers for: ") + e.getMessage());
        } catch (IOException e) {
            throw new InvalidArgumentException("endpoint", store.endpoint(), "a reachable S3 server: "
                    + e.getMessage());
        }
        Configuration c = configAdmin.createFactoryConfiguration(FACTORY_PID, "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("name", settings.name());
        p.put("endpoint", store.endpoint().toString());
        p.put("region", store.region());
        p.put("bucket", settings.bucket());
        p.put("prefix", store.prefix());
        p.put("objectSize", settings.objectSize());
        p.put("cacheSize", settings.cacheBytes());
        p.put("accessKey", settings.accessKey());
        p.put("secretKey", settings.secretKey());
        c.update(p);
        String why = await(c.getPid(), false);
        if (why != null) {
            c.delete();
            throw new InvalidArgumentException("store", settings.name(), "a configuration the S3 bundle applies: "
                    + why);
        }
        return info(store, List.of());
    }

    /** The store settings describe, or one sentence on what is wrong with them. */
    static S3Store validate(S3StoreSettings s) throws InvalidArgumentException {
        if (s.name() == null || !s.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new InvalidArgumentException("name", s.name(), "letters, digits, '.', '_' or '-', 1 to 63");
        }
        if (s.bucket() == null || !s.bucket().matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new InvalidArgumentException("bucket", s.bucket(), "an S3 bucket name: 3 to 63 lower-case "
                    + "letters, digits, '.' or '-'");
        }
        if (s.accessKey() == null || s.accessKey().isBlank() || s.secretKey() == null || s.secretKey().isEmpty()) {
            throw new InvalidArgumentException("credentials", "(not shown)", "an access key and a secret key");
        }
        String region = s.region() == null || s.region().isBlank() ? "us-east-1" : s.region();
        try { // what every store needs (endpoint, object and cache size) is checked there; what add needs, above
            return new S3Store(s.name(), S3StoreComponent.endpoint(s.endpoint()), region, s.bucket(), s.prefix(),
                    s.objectSize(), s.cacheBytes(), java.nio.file.Path.of("."), 1, S3Store.DEFAULT_RETAIN,
                    new Credentials(s.accessKey(), s.secretKey()));
        } catch (S3Store.Invalid e) {
            throw new InvalidArgumentException(e.field, e.value, e.expected);
        }
    }

    @Override
    public void remove(String name) throws IOException {
        String pid = provider.configurations().pidOf(name);
        if (pid == null) {
            List<String> names = new ArrayList<>(provider.stores().keySet());
            throw new InvalidArgumentException("store", name, names.isEmpty() ? "a configured store (there are none)"
                    : "one of " + String.join(", ", names));
        }
        configAdmin.getConfiguration(pid, "?").delete();
        await(pid, true);
    }

    private String await(String pid, boolean gone) throws IOException {
        try {
            return provider.configurations().await(pid, gone, APPLY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the store's configuration was applied");
        }
    }
}
