package org.cowstack.storage.s3.device;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import org.cowstack.storage.api.s3.S3Stores;
import org.cowstack.storage.s3.client.Credentials;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One instance per store configuration, created by Declarative Services from Config
 * Admin: it hands the store to the provider and takes it back when it goes, so stores
 * come back after a restart or an update of this bundle as their configurations do. A
 * configuration the provider cannot use is refused with one line in the log (and by
 * {@code storage:s3 add} before it is written).
 */
@Component(configurationPid = S3Stores.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = S3StoreConfiguration.class, factory = true)
public final class S3StoreComponent {
    /** Framework property: where the stack keeps its state (STORAGE_HOME). */
    static final String HOME = "storage.home";
    private static final System.Logger LOG = System.getLogger("org.cowstack.storage.s3");

    private final S3DeviceProvider provider;
    private final BundleContext context;
    private final String pid;

    @Activate
    public S3StoreComponent(@Reference S3DeviceProvider provider, BundleContext context, S3StoreConfiguration config,
            Map<String, Object> properties) {
        this.provider = provider;
        this.context = context;
        this.pid = String.valueOf(properties.get(Constants.SERVICE_PID));
        modified(config);
    }

    @Modified
    void modified(S3StoreConfiguration config) {
        try {
            provider.configured(pid, store(config, context));
        } catch (IllegalArgumentException e) {
            provider.refused(pid, "s3: store " + config.name() + " not configured: " + e.getMessage());
            LOG.log(System.Logger.Level.ERROR, "s3: store " + config.name() + " not configured: " + e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        provider.unconfigured(pid);
    }

    /**
     * A configuration's properties as Declarative Services would hand them to this
     * component: a missing property takes its metatype default; one without a default is
     * an IllegalArgumentException naming it.
     */
    static S3StoreConfiguration configuration(java.util.Dictionary<String, ?> properties) {
        return (S3StoreConfiguration) java.lang.reflect.Proxy.newProxyInstance(S3StoreConfiguration.class.getClassLoader(),
                new Class<?>[] {S3StoreConfiguration.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class || method.getParameterCount() > 0) {
                        return method.getName().equals("toString") ? "S3StoreConfiguration" : method.invoke(properties,
                                args);
                    }
                    Object v = properties.get(method.getName());
                    if (v == null) {
                        v = method.getDefaultValue();
                    }
                    if (v == null) {
                        throw new IllegalArgumentException("property " + method.getName() + " is missing");
                    }
                    Class<?> type = method.getReturnType();
                    if (type == int.class) {
                        return v instanceof Number n ? n.intValue() : Integer.parseInt(v.toString().strip());
                    }
                    if (type == long.class) {
                        return v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().strip());
                    }
                    return v.toString();
                });
    }

    /** The store a configuration describes; its faults as IllegalArgumentException ({@link S3Store.Invalid}). */
    static S3Store store(S3StoreConfiguration c, BundleContext context) {
        URI endpoint = endpoint(c.endpoint());
        Path cacheDir;
        if (!c.cacheDir().isBlank()) {
            cacheDir = Path.of(c.cacheDir());
        } else if (context.getProperty(HOME) != null) {
            cacheDir = Path.of(context.getProperty(HOME), "s3-cache");
        } else {
            cacheDir = context.getDataFile("s3-cache").toPath();
        }
        return new S3Store(c.name(), endpoint, c.region(), c.bucket(), c.prefix(), c.objectSize(), c.cacheSize(),
                cacheDir, c.parallelUploads(), c.retainGenerations(), new Credentials(c.accessKey(), c.secretKey()));
    }

    /** An http or https base URL without query or fragment. */
    static URI endpoint(String s) {
        URI u = null;
        try {
            u = s == null ? null : new URI(s.strip());
        } catch (java.net.URISyntaxException e) {
            // refused below
        }
        if (u == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new S3Store.Invalid("endpoint", s, "an http(s)://host[:port] URL");
        }
        return u;
    }
}
