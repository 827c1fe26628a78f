package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.ServiceTable.Prefer;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;

/**
 * The plug-ins installed now: device backends by URI scheme, checksum algorithms by name
 * and on-disk id, allocation policies and DIO strategies by name. This is where the
 * engine looks a service up, at mount, at mkfs, when a setter names another policy, and
 * when one goes and a replacement of the same name or id is wanted.
 *
 * <p>A service is known by the service properties it is registered with, the ones the
 * shell lists it by ({@value DeviceProvider#SCHEME}, {@value ChecksumAlgorithm#NAME} and
 * {@value ChecksumAlgorithm#ID}, {@value AllocationPolicy#NAME},
 * {@value DioStrategy#NAME}), never by asking the service object: what an administrator
 * sees in {@code storage:alloc} is what {@code storage:alloc VOLUME NAME} finds, and the
 * engine need not call into a bundle to learn what it offers. A service registered
 * without its property cannot be selected; it is ignored, with one warning naming its
 * class and bundle.
 *
 * <p>Only the tables change here: what a service coming or going does to the mounted
 * volumes is {@link HotSwap}'s job.
 */
final class InstalledServices implements VolumeServices {
    /** A checksum algorithm's two keys: the name mkfs asks for, the id a superblock records. */
    record ChecksumKey(String name, int id) {
    }

    /**
     * A service taken out: the name (or scheme) it was installed under, and the service
     * of the same name or id still installed that replaces it, or null.
     */
    record Departure<S>(String name, S replacement) {
    }

    private final EngineLog log;
    private final ServiceTable<String, DeviceProvider> devices = new ServiceTable<>(Prefer.LAST_BOUND);
    private final ServiceTable<ChecksumKey, ChecksumAlgorithm> checksums = new ServiceTable<>(Prefer.FIRST_BOUND);
    private final ServiceTable<String, AllocationPolicy> policies = new ServiceTable<>(Prefer.LAST_BOUND);
    private final ServiceTable<String, DioStrategy> strategies = new ServiceTable<>(Prefer.LAST_BOUND);

    InstalledServices(EngineLog log) {
        this.log = log;
    }

    // ------------------------------------------------------------------ services coming and going

    /** @return the scheme it serves, in lower case, or null when it is ignored */
    String addDevice(DeviceProvider provider, Map<String, ?> properties) {
        String scheme = name(provider, properties, DeviceProvider.SCHEME, "device backend");
        if (scheme == null) {
            return null;
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        devices.add(scheme, provider);
        return scheme;
    }

    /** @return its scheme and the backend of that scheme still installed, or null when it was ignored */
    Departure<DeviceProvider> removeDevice(DeviceProvider provider) {
        return leave(devices, provider);
    }

    /** @return its name and id, or null when it is ignored */
    ChecksumKey addChecksum(ChecksumAlgorithm algorithm, Map<String, ?> properties) {
        String name = name(algorithm, properties, ChecksumAlgorithm.NAME, "checksum algorithm");
        if (name == null) {
            return null;
        }
        Object id = properties.get(ChecksumAlgorithm.ID);
        if (!(id instanceof Integer)) { // as the shell's storage:csum requires, so both list the same algorithms
            String found = id == null ? "missing" : id + " (" + id.getClass().getSimpleName() + ")";
            log.warn("checksum algorithm " + describe(algorithm, properties) + " is ignored: its "
                    + ChecksumAlgorithm.ID + " property is " + found + ", not the Integer the engine selects it by");
            return null;
        }
        ChecksumKey key = new ChecksumKey(name, (Integer) id);
        checksums.add(key, algorithm);
        return key;
    }

    /** @return its name and the algorithm of its id still installed, or null when it was ignored */
    Departure<ChecksumAlgorithm> removeChecksum(ChecksumAlgorithm algorithm) {
        ChecksumKey key = checksums.remove(algorithm);
        return key == null ? null : new Departure<>(key.name(), checksum(key.id()));
    }

    /** @return its name, or null when it is ignored */
    String addPolicy(AllocationPolicy policy, Map<String, ?> properties) {
        String name = name(policy, properties, AllocationPolicy.NAME, "allocation policy");
        if (name != null) {
            policies.add(name, policy);
        }
        return name;
    }

    /** @return its name and the policy of that name still installed, or null when it was ignored */
    Departure<AllocationPolicy> removePolicy(AllocationPolicy policy) {
        return leave(policies, policy);
    }

    /** @return its name, or null when it is ignored */
    String addStrategy(DioStrategy strategy, Map<String, ?> properties) {
        String name = name(strategy, properties, DioStrategy.NAME, "DIO strategy");
        if (name != null) {
            strategies.add(name, strategy);
        }
        return name;
    }

    /** @return its name and the strategy of that name still installed, or null when it was ignored */
    Departure<DioStrategy> removeStrategy(DioStrategy strategy) {
        return leave(strategies, strategy);
    }

    /** Takes a service keyed by name out of its table: its name and another installed under it, or null. */
    private static <S> Departure<S> leave(ServiceTable<String, S> table, S service) {
        String name = table.remove(service);
        return name == null ? null : new Departure<>(name, table.get(name));
    }

    /** The property naming a service, or null (and a warning) when it has none that is a name. */
    private String name(Object service, Map<String, ?> properties, String property, String what) {
        Object value = properties.get(property);
        if (value instanceof String s && !s.isBlank()) {
            return s;
        }
        log.warn(what + " " + describe(service, properties) + " is ignored: it is registered without the "
                + property + " property the engine selects it by"
                + (value == null ? "" : " (it has " + property + "=" + value + ")"));
        return null;
    }

    /** The service's class and the bundle that registered it, for a warning an administrator can act on. */
    static String describe(Object service, Map<String, ?> properties) {
        StringBuilder s = new StringBuilder(service.getClass().getName());
        Bundle b = FrameworkUtil.getBundle(service.getClass());
        Object id = properties.get(Constants.SERVICE_BUNDLEID);
        if (b != null) {
            s.append(" of bundle ").append(b.getSymbolicName()).append(" [").append(b.getBundleId()).append(']');
        } else if (id != null) {
            s.append(" of bundle [").append(id).append(']');
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ lookups

    /** The backend installed for this scheme (any case), or null. */
    DeviceProvider device(String scheme) {
        return devices.get(scheme.toLowerCase(Locale.ROOT));
    }

    /** The backend for a device URI; fails saying why there is none. */
    DeviceProvider provider(URI device) throws IOException {
        String scheme = device.getScheme();
        if (scheme == null) {
            throw new InvalidArgumentException("device", device,
                    "a URI with a scheme, such as file:vol.img or mem:disk");
        }
        DeviceProvider p = device(scheme);
        if (p == null) {
            throw new NotSupportedException("no device backend for " + scheme + ": is installed; storage:devices "
                    + "lists those that are");
        }
        return p;
    }

    @Override
    public Collection<ChecksumAlgorithm> checksums() {
        return checksums.services();
    }

    @Override
    public ChecksumAlgorithm checksum(int id) {
        return checksums.find(k -> k.id() == id);
    }

    @Override
    public ChecksumAlgorithm checksum(String name) {
        return checksums.find(k -> k.name().equals(name));
    }

    @Override
    public AllocationPolicy allocationPolicy(String name) {
        return policies.get(name);
    }

    @Override
    public DioStrategy dioStrategy(String name) {
        return strategies.get(name);
    }

    /** What a configured volume waits for before it can be mounted, as its status shows it, or null. */
    String missingFor(VolumeSettings s) {
        String scheme = s.device().getScheme().toLowerCase(Locale.ROOT);
        if (!devices.contains(scheme)) {
            return "device backend " + scheme + ":";
        }
        MountOptions o = s.options();
        if (!o.checksum().isEmpty() && checksum(o.checksum()) == null) {
            return "checksum " + o.checksum();
        }
        if (!o.readOnly() && !policies.contains(o.allocationPolicy())) {
            return "allocation policy " + o.allocationPolicy();
        }
        if (!o.readOnly() && !strategies.contains(o.dioStrategy())) {
            return "DIO strategy " + o.dioStrategy();
        }
        return null;
    }

    /** Fails, listing the installed ones, unless the options' checksum, policy and strategy are installed. */
    void requireInstalled(MountOptions options) throws NotSupportedException {
        if (!options.checksum().isEmpty() && checksum(options.checksum()) == null) {
            throw new NotSupportedException("checksum algorithm " + options.checksum() + " is not installed");
        }
        requirePolicy(options.allocationPolicy());
        requireStrategy(options.dioStrategy());
    }

    void requirePolicy(String name) throws NotSupportedException {
        requireInstalled("allocation policy", name, policies);
    }

    void requireStrategy(String name) throws NotSupportedException {
        requireInstalled("DIO strategy", name, strategies);
    }

    private static void requireInstalled(String what, String name, ServiceTable<String, ?> installed)
            throws NotSupportedException {
        if (!installed.contains(name)) {
            throw new NotSupportedException(what + " " + name + " is not installed (installed: "
                    + String.join(", ", new TreeSet<>(installed.keys())) + ")");
        }
    }
}
