package org.cowstack.storage.api.device;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;

/**
 * A device URI taken apart the same way by every backend:
 * {@code scheme:path?key=value&flag}.
 *
 * <p>The path may be relative ({@code file:data/vol0.img}), absolute
 * ({@code file:/var/vol0.img}, {@code file:///var/vol0.img}) or a plain name
 * ({@code mem:scratch}). Query parameters are backend options; a parameter outside the
 * backend's known set is an error, so a typo never silently changes behaviour.
 */
public final class DeviceUri {
    private final URI uri;
    private final String path;
    private final Map<String, String> params;

    private DeviceUri(URI uri, String path, Map<String, String> params) {
        this.uri = uri;
        this.path = path;
        this.params = params;
    }

    /**
     * Parses {@code uri} for a backend of {@code scheme} that knows the parameters
     * {@code known}.
     *
     * @throws InvalidArgumentException for another scheme, an empty path, a fragment, or
     *         an unknown or repeated parameter
     */
    public static DeviceUri parse(URI uri, String scheme, Set<String> known) throws InvalidArgumentException {
        if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase(scheme)) {
            throw new InvalidArgumentException("device", uri, "a " + scheme + ": URI");
        }
        if (uri.getRawFragment() != null) {
            throw new InvalidArgumentException("device", uri, "no #fragment in a device URI");
        }
        // Opaque URIs (file:rel/path?x) do not parse their query, so split by hand.
        String ssp = uri.getRawSchemeSpecificPart();
        String query = null;
        int q = ssp.indexOf('?');
        if (q >= 0) {
            query = ssp.substring(q + 1);
            ssp = ssp.substring(0, q);
        }
        if (ssp.startsWith("///")) {
            ssp = ssp.substring(2);
        } else if (ssp.startsWith("//")) {
            throw new InvalidArgumentException("device", uri, scheme + ":PATH or " + scheme + ":///ABSOLUTE-PATH, no host");
        }
        String path = decode(ssp);
        if (path.isEmpty()) {
            throw new InvalidArgumentException("device", uri, scheme + ":PATH with a non-empty path");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (!known.contains(key)) {
                    throw new InvalidArgumentException("device " + uri, key,
                            known.isEmpty() ? "no parameters for " + scheme + ":" : "one of " + known);
                }
                if (params.put(key, value) != null) {
                    throw new InvalidArgumentException("device " + uri, key, "each parameter once");
                }
            }
        }
        return new DeviceUri(uri, path, Collections.unmodifiableMap(params));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    public URI uri() {
        return uri;
    }

    /** The decoded path or name. */
    public String path() {
        return path;
    }

    /** The parameters given, in order. */
    public Map<String, String> params() {
        return params;
    }

    /**
     * A boolean parameter: absent gives {@code absent}; present without a value, or
     * {@code true/on/yes/1}, gives true; {@code false/off/no/0} gives false.
     */
    public boolean flag(String name, boolean absent) throws InvalidArgumentException {
        String v = params.get(name);
        if (v == null) {
            return absent;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "": case "true": case "on": case "yes": case "1":
                return true;
            case "false": case "off": case "no": case "0":
                return false;
            default:
                throw new InvalidArgumentException(name + " in " + uri, v, "true or false");
        }
    }

    /** A byte-count parameter ({@code size=64m}), or {@code absent}. */
    public long size(String name, long absent) throws InvalidArgumentException {
        String v = params.get(name);
        return v == null ? absent : ByteSize.parse(name + " in " + uri, v);
    }

    /** A parameter that must be one of {@code allowed}, or {@code absent}. */
    public String choice(String name, String absent, Set<String> allowed) throws InvalidArgumentException {
        String v = params.get(name);
        if (v == null) {
            return absent;
        }
        String lower = v.toLowerCase(Locale.ROOT);
        if (!allowed.contains(lower)) {
            throw new InvalidArgumentException(name + " in " + uri, v, "one of " + allowed);
        }
        return lower;
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
