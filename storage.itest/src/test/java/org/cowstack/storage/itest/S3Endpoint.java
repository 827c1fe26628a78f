package org.cowstack.storage.itest;

import java.nio.file.Files;
import java.nio.file.Path;

import org.cowstack.storage.testkit.S3ProxyServer;

/**
 * The S3 server of {@link S3IT}, started by its Pax Exam configuration outside the
 * framework (the test kit is not a bundle: the probe never loads this class, only the
 * constants inlined from it).
 */
final class S3Endpoint {
    static final String PROPERTY = "storage.itest.s3.endpoint";
    static final String ACCESS_KEY = S3ProxyServer.ACCESS_KEY;
    static final String SECRET_KEY = S3ProxyServer.SECRET_KEY;

    private S3Endpoint() {
    }

    /** Starts s3proxy once per JVM, killed when the JVM exits; its endpoint in {@link #PROPERTY}. */
    static synchronized void start() throws Exception {
        if (System.getProperty(PROPERTY) != null) {
            return;
        }
        Path dir = Files.createDirectories(Path.of(System.getProperty("storage.itest.dir", "target/itest-data"),
                "s3proxy-" + System.nanoTime()));
        S3ProxyServer server = S3ProxyServer.start(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        System.setProperty(PROPERTY, server.endpoint().toString());
    }
}
