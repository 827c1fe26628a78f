package org.cowstack.storage.s3.crash;

import java.nio.file.Path;

import org.cowstack.storage.s3.client.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Tests of a class that share one real s3proxy with a bucket named {@code bucket}, started once. */
abstract class OnS3Proxy {
    @TempDir
    static Path dir;
    static S3Proxy server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3Proxy.start(dir.resolve("s3"));
        server.client("bucket").createBucket();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }
}
