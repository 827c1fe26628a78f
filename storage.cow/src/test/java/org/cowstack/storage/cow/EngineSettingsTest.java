package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.cow.cache.CacheSize;
import org.junit.jupiter.api.Test;

/** The engine's configuration: the cache size as bytes or a size, its default from the heap, bad values named. */
class EngineSettingsTest {
    @Test
    void theCacheSizeIsBytesOrASizeAndZeroOrNothingMeansTheDefault() throws InvalidArgumentException {
        assertEquals(256L << 20, EngineSettings.read(Map.of("cacheSize", 256L << 20)).cacheBytes());
        assertEquals(512L << 20, EngineSettings.read(Map.of("cacheSize", "512m")).cacheBytes());
        assertEquals(CacheSize.defaultBytes(), EngineSettings.read(Map.of()).cacheBytes());
        assertEquals(CacheSize.defaultBytes(), EngineSettings.read(Map.of("cacheSize", "0")).cacheBytes());
    }

    @Test
    void theDefaultIsAQuarterOfTheHeapWithinBounds() {
        assertEquals(1L << 30, CacheSize.forHeap(4L << 30));
        assertEquals(CacheSize.MIN_BYTES, CacheSize.forHeap(32L << 20));
        assertEquals(CacheSize.MAX_BYTES, CacheSize.forHeap(Long.MAX_VALUE));
    }

    @Test
    void aBadValueIsNamed() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> EngineSettings.read(Map.of("cacheSize", "lots")));
        assertTrue(e.getMessage().contains("cacheSize"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> EngineSettings.read(Map.of("cacheSize", -1L)));
        assertThrows(InvalidArgumentException.class, () -> EngineSettings.read(Map.of("cacheSize", 1.5)));
    }
}
