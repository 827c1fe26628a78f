package org.cowstack.storage.cow;

import java.util.Map;

import org.cowstack.storage.api.ByteSize;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.cow.cache.CacheSize;

/**
 * The engine's configuration read from Config Admin properties (the keys are those of
 * {@link EngineConfiguration}); reading checks every value and names the bad one.
 *
 * @param cacheBytes page cache size of each volume, in bytes
 */
record EngineSettings(long cacheBytes) {
    static final String CACHE_SIZE = "cacheSize";

    /** The settings when nothing is configured. */
    static EngineSettings defaults() {
        return new EngineSettings(CacheSize.defaultBytes());
    }

    static EngineSettings read(Map<String, ?> p) throws InvalidArgumentException {
        Object v = p == null ? null : p.get(CACHE_SIZE);
        long bytes;
        if (v == null) {
            bytes = 0;
        } else if (v instanceof Number n && !(v instanceof Double) && !(v instanceof Float)) {
            bytes = n.longValue();
        } else if (v instanceof String s) {
            bytes = ByteSize.parse(CACHE_SIZE, s.trim());
        } else {
            throw new InvalidArgumentException(CACHE_SIZE, v, "a size in bytes, such as 268435456, 512m or 2g");
        }
        if (bytes < 0) {
            throw new InvalidArgumentException(CACHE_SIZE, v, "a size >= 0 (0: derived from the maximum heap)");
        }
        return new EngineSettings(bytes == 0 ? CacheSize.defaultBytes() : bytes);
    }
}
