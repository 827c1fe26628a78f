package org.cowstack.storage.api.volume;

/**
 * The page cache of a mounted volume: its size, what it holds and how reads used it
 * since mount. Counts are in file-system blocks, sizes in bytes.
 *
 * @param sizeLimit      bytes the cache may hold (configured, or derived from the JVM's heap)
 * @param cached         bytes of file data in the cache now, clean or dirty
 * @param dirty          bytes accepted and not yet written back
 * @param hits           blocks that reads found in the cache
 * @param misses         blocks that reads asked for and the device had to supply
 * @param readAheadBytes bytes read from the device ahead of sequential reads
 */
public record CacheUsage(long sizeLimit, long cached, long dirty, long hits, long misses, long readAheadBytes) {
}
