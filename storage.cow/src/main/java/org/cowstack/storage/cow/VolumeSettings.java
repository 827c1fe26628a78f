package org.cowstack.storage.cow;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.MountOptions;

/**
 * A volume configuration read from, or written to, Config Admin properties (the keys
 * are those of {@link VolumeConfiguration}). Reading checks every value and names the
 * first bad one, so a malformed configuration is reported and mounts nothing.
 *
 * @param device null only for a malformed configuration, which is shown and never mounted
 */
record VolumeSettings(String name, URI device, MountOptions options) {
    static final String NAME = "name";
    static final String DEVICE = "device";
    static final String READ_ONLY = "readOnly";
    static final String CHECKSUM = "checksum";
    static final String ALLOCATION_POLICY = "allocationPolicy";
    static final String DIO_STRATEGY = "dioStrategy";
    static final String COMMIT_INTERVAL = "commitIntervalMillis";
    static final String SUSPEND_TIMEOUT = "suspendTimeoutMillis";

    /** The volume name of a configuration, or null when it has none that is a string. */
    static String nameOf(Map<String, ?> properties) {
        Object n = properties.get(NAME);
        return n instanceof String s && !s.isBlank() ? s.trim() : null;
    }

    static VolumeSettings read(Map<String, ?> p) throws InvalidArgumentException {
        String name = nameOf(p);
        if (name == null) {
            throw new InvalidArgumentException(NAME, p.get(NAME), "a volume name");
        }
        URI device = uri(text(p, DEVICE, null));
        MountOptions defaults = MountOptions.defaults();
        MountOptions o = defaults.readOnly(flag(p, READ_ONLY))
                .checksum(text(p, CHECKSUM, ""))
                .allocationPolicy(text(p, ALLOCATION_POLICY, defaults.allocationPolicy()))
                .dioStrategy(text(p, DIO_STRATEGY, defaults.dioStrategy()))
                .commitInterval(Duration.ofMillis(number(p, COMMIT_INTERVAL, defaults.commitInterval().toMillis(), 1)))
                .suspendTimeout(Duration.ofMillis(number(p, SUSPEND_TIMEOUT, defaults.suspendTimeout().toMillis(), 0)));
        return new VolumeSettings(name, device, o);
    }

    /** The properties to store: every key, so that the configuration reads as a complete fstab line. */
    Dictionary<String, Object> properties() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(NAME, name);
        p.put(DEVICE, device.toString());
        p.put(READ_ONLY, options.readOnly());
        p.put(CHECKSUM, options.checksum());
        p.put(ALLOCATION_POLICY, options.allocationPolicy());
        p.put(DIO_STRATEGY, options.dioStrategy());
        p.put(COMMIT_INTERVAL, options.commitInterval().toMillis());
        p.put(SUSPEND_TIMEOUT, options.suspendTimeout().toMillis());
        return p;
    }

    VolumeSettings with(MountOptions changed) {
        return new VolumeSettings(name, device, changed);
    }

    private static String text(Map<String, ?> p, String key, String absent) throws InvalidArgumentException {
        Object v = p.get(key);
        if (v == null) {
            if (absent == null) {
                throw new InvalidArgumentException(key, null, "a value (the configuration has none)");
            }
            return absent;
        }
        if (!(v instanceof String s)) {
            throw new InvalidArgumentException(key, v, "a string");
        }
        return s.trim();
    }

    private static boolean flag(Map<String, ?> p, String key) throws InvalidArgumentException {
        Object v = p.get(key);
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw new InvalidArgumentException(key, v, "true or false");
    }

    private static long number(Map<String, ?> p, String key, long absent, long min) throws InvalidArgumentException {
        Object v = p.get(key);
        if (v == null) {
            return absent;
        }
        Long n = null;
        if (v instanceof Number x && !(v instanceof Double) && !(v instanceof Float)) {
            n = x.longValue();
        } else if (v instanceof String s) {
            try {
                n = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        if (n == null || n < min) {
            throw new InvalidArgumentException(key, v, "a whole number of milliseconds >= " + min);
        }
        return n;
    }

    private static URI uri(String text) throws InvalidArgumentException {
        try {
            URI u = new URI(text);
            if (u.getScheme() == null) {
                throw new InvalidArgumentException(DEVICE, text, "a URI with a scheme, such as file:vol.img");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new InvalidArgumentException(DEVICE, text, "a URI (" + e.getReason() + ")");
        }
    }
}
