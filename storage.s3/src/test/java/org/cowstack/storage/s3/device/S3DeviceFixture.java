package org.cowstack.storage.s3.device;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.s3.client.S3Proxy;

/** Devices of one s3proxy server for the concurrency tests: each open has a cache of its own. */
final class S3DeviceFixture {
    static final int OBJECT = 64 << 10;
    static final URI URI_ = URI.create("s3:t/vol");
    private static final AtomicInteger CACHES = new AtomicInteger();
    private final S3Proxy server;
    private final Path dir;
    private final String prefix;

    S3DeviceFixture(S3Proxy server, Path dir, String prefix) {
        this.server = server;
        this.dir = dir;
        this.prefix = prefix;
    }

    /** Opens the volume through a provider of its own, with a fresh cache of {@code cacheObjects} objects. */
    S3Device open(OpenOptions options, int cacheObjects) throws IOException {
        return open(options, cacheObjects, S3Store.DEFAULT_RETAIN);
    }

    S3Device open(OpenOptions options, int cacheObjects, int retain) throws IOException {
        S3DeviceProvider p = new S3DeviceProvider();
        p.addStore(new S3Store("t", server.endpoint(), "us-east-1", "bucket", prefix, OBJECT,
                (long) cacheObjects * OBJECT, dir.resolve("cache" + CACHES.incrementAndGet()), 4, retain,
                S3Proxy.CREDENTIALS));
        return (S3Device) p.open(URI_, options);
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] read(BlockDevice d, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        d.read(b, offset);
        return b.array();
    }

    /** Creates the volume with {@code objects} objects of {@link #bytes} (seed 1), flushed. */
    byte[] create(long size, int objects) throws IOException {
        byte[] content = bytes(objects * OBJECT, 1);
        try (S3Device d = open(OpenOptions.create(size), 64)) {
            d.write(ByteBuffer.wrap(content), 0);
            d.flush();
        }
        return content;
    }
}
