package org.cowstack.storage.s3.device;

import java.net.URI;
import java.nio.file.Path;

import org.cowstack.storage.s3.client.Credentials;
import org.cowstack.storage.s3.client.S3Client;

/**
 * A configured S3 store ({@code s3:NAME}): where its objects go, how big they are, and the
 * local cache. The credentials never show in {@link #toString()}.
 */
public record S3Store(String name, URI endpoint, String region, String bucket, String prefix, int objectSize,
        long cacheBytes, Path cacheDir, int parallelUploads, int retainGenerations, Credentials credentials) {
    public static final int DEFAULT_OBJECT_SIZE = 4 << 20;
    /** Generations a replaced object is kept for readers of older generations. */
    public static final int DEFAULT_RETAIN = 100;

    public S3Store {
        if (name == null || name.isBlank() || name.contains("/")) {
            throw new IllegalArgumentException("an S3 store needs a name without '/': " + name);
        }
        if (objectSize < 4096 || Integer.bitCount(objectSize) != 1) {
            throw new IllegalArgumentException("S3 store " + name + ": object size " + objectSize
                    + " is not a power of two of at least 4096");
        }
        if (parallelUploads < 1) {
            throw new IllegalArgumentException("S3 store " + name + ": parallelUploads " + parallelUploads + " < 1");
        }
        if (retainGenerations < 0) {
            throw new IllegalArgumentException("S3 store " + name + ": retainGenerations " + retainGenerations + " < 0");
        }
        prefix = prefix == null ? "" : prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    }

    S3Client client() {
        return new S3Client(endpoint, region, bucket, credentials, S3Client.Retry.defaults());
    }

    @Override
    public String toString() {
        return "S3Store[" + name + ", " + endpoint + ", bucket " + bucket + ", prefix " + prefix + "]";
    }
}
