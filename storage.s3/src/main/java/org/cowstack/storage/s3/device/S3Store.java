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

    /**
     * A setting no store can have: its field, its value and what is expected, worded as
     * {@link org.cowstack.storage.api.InvalidArgumentException} words them, so that
     * {@code storage:s3 add} turns it into one and a configuration's component logs it.
     */
    public static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final String field;
        final transient Object value;
        final String expected;

        Invalid(String field, Object value, String expected) {
            super(field + ": " + value + " (expected: " + expected + ")");
            this.field = field;
            this.value = value;
            this.expected = expected;
        }
    }

    public S3Store {
        if (name == null || name.isBlank() || name.contains("/")) {
            throw new Invalid("name", name, "a name without '/'");
        }
        if (objectSize < 4096 || Integer.bitCount(objectSize) != 1) { // an int power of two is at most 1 GiB
            throw new Invalid("object size", objectSize, "a power of two from 4 KiB to 1 GiB");
        }
        if (cacheBytes < objectSize) {
            throw new Invalid("cache size", cacheBytes, "at least one object (" + objectSize + " bytes)");
        }
        if (parallelUploads < 1) {
            throw new Invalid("parallelUploads", parallelUploads, "at least 1");
        }
        if (retainGenerations < 0) {
            throw new Invalid("retainGenerations", retainGenerations, "0 or more");
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
