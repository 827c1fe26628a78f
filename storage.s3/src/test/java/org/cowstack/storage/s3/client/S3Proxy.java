package org.cowstack.storage.s3.client;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

import org.cowstack.storage.testkit.S3ProxyServer;

/**
 * The testkit's s3proxy process ({@link S3ProxyServer}) with this bundle's client:
 * {@link #kill()} is a crash; {@link #start} again on the same directory brings the
 * objects back.
 */
public final class S3Proxy implements AutoCloseable {
    public static final Credentials CREDENTIALS = new Credentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
    private final S3ProxyServer server;

    private S3Proxy(S3ProxyServer server) {
        this.server = server;
    }

    /** Starts s3proxy on a free port with its objects under {@code dir}; waits until it answers. */
    public static S3Proxy start(Path dir) throws IOException, InterruptedException {
        return new S3Proxy(S3ProxyServer.start(dir));
    }

    public URI endpoint() {
        return server.endpoint();
    }

    public Path dir() {
        return server.dir();
    }

    /** A client of this server for {@code bucket}, with few retries (tests want errors fast). */
    public S3Client client(String bucket) {
        return new S3Client(server.endpoint(), S3ProxyServer.REGION, bucket, CREDENTIALS,
                new S3Client.Retry(3, java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(200)));
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        server.kill();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
