package org.cowstack.storage.api.s3;

/**
 * What configures a store. {@link #toString()} never shows the secret key.
 *
 * @param name       the store's name, as in {@code s3:NAME}
 * @param endpoint   the server's base URL, {@code http(s)://host[:port]} (path-style requests)
 * @param region     the signing region ({@code us-east-1} where the server does not care)
 * @param bucket     the bucket
 * @param prefix     the key prefix under which this store's devices live; may be empty
 * @param objectSize bytes per object, a power of two (default 4 MiB)
 * @param cacheBytes bytes of local cache per open device
 * @param accessKey  the access key id
 * @param secretKey  the secret access key
 */
public record S3StoreSettings(String name, String endpoint, String region, String bucket, String prefix,
        int objectSize, long cacheBytes, String accessKey, String secretKey) {
    /** Object size when none is given. */
    public static final int DEFAULT_OBJECT_SIZE = 4 << 20;
    /** Cache size when none is given. */
    public static final long DEFAULT_CACHE_BYTES = 256L << 20;

    @Override
    public String toString() {
        return "S3StoreSettings[" + name + ", " + endpoint + ", region " + region + ", bucket " + bucket + ", prefix "
                + prefix + ", objects of " + objectSize + " bytes, cache " + cacheBytes + " bytes, access key "
                + accessKey + "]";
    }
}
