package org.cowstack.storage.api.volume;

/**
 * The page cache of a mounted volume: its size, what it holds and how reads used it
 * since mount. Counts are in file-system blocks, sizes in bytes. Clean data is cached
 * by physical block, so a block that several files share (reflinked, deduped) is held
 * once however many of them read it.
 *
 * @param sizeLimit      bytes the cache may hold (configured, or derived from the JVM's heap)
 * @param cached         bytes of file data in the cache now, clean or dirty
 * @param dirty          bytes accepted and not yet written back
 * @param hits           blocks that reads found in the cache
 * @param misses         blocks that reads asked for and the device had to supply
 * @param readAheadBytes bytes read from the device ahead of sequential reads
 * @param shared         of the clean bytes cached, those served to more than one file
 * @param pinned         clean bytes held for mapped views (not evicted while a view shows them)
 */
public record CacheUsage(long sizeLimit, long cached, long dirty, long hits, long misses, long readAheadBytes,
        long shared, long pinned) {

    /** The shape of 1.6: nothing shared or pinned. */
    public CacheUsage(long sizeLimit, long cached, long dirty, long hits, long misses, long readAheadBytes) {
        this(sizeLimit, cached, dirty, hits, misses, readAheadBytes, 0, 0);
    }

    /** Hits over all blocks read, 0 to 1; 0 before the first read. */
    public double hitRate() {
        long all = hits + misses;
        return all == 0 ? 0 : (double) hits / all;
    }
}
