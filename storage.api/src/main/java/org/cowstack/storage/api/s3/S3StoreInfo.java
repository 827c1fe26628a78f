package org.cowstack.storage.api.s3;

/**
 * One configured store and how it is used now.
 *
 * @param name        the store's name, as in {@code s3:NAME}
 * @param endpoint    the server's base URL
 * @param region      the signing region
 * @param bucket      the bucket
 * @param prefix      the key prefix
 * @param objectSize  bytes per object of new devices
 * @param cacheBytes  bytes of local cache per open device
 * @param devices     devices open on it now
 * @param objects     objects stored under the prefix (committed, retained for older
 *                    readers, or not yet collected), or -1 when it could not be listed
 * @param bytes       their bytes, or -1
 * @param cacheHits   reads and writes of open devices served by their caches
 * @param cacheMisses those that had to fetch from the store
 * @param puts        PUT requests of open devices
 * @param gets        GET requests of open devices
 * @param error       why the store could not be listed; empty when it could
 */
public record S3StoreInfo(String name, String endpoint, String region, String bucket, String prefix, int objectSize,
        long cacheBytes, int devices, long objects, long bytes, long cacheHits, long cacheMisses, long puts, long gets,
        String error) {
    /** Cache hits among lookups, 0 to 1, or -1 before the first lookup. */
    public double cacheHitRate() {
        long all = cacheHits + cacheMisses;
        return all == 0 ? -1 : (double) cacheHits / all;
    }
}
