package org.cowstack.storage.s3.device;

import java.net.URI;
import java.nio.file.Path;

import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.s3.client.S3Proxy;
import org.cowstack.storage.testkit.BlockDeviceContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The engine's shared device contract on {@code s3:}, against a real S3 server (s3proxy). */
class S3DeviceContractTest extends BlockDeviceContract {
    @TempDir
    static Path dir;
    static S3Proxy server;
    static int run;
    private final S3DeviceProvider provider = new S3DeviceProvider();

    @BeforeAll
    static void start() throws Exception {
        server = S3Proxy.start(dir);
        server.client("contract").createBucket();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    S3DeviceContractTest() {
        run++;
        // small objects so that the contract's 4 MiB device spans many; a small cache so that it evicts
        provider.addStore(new S3Store("t", server.endpoint(), "us-east-1", "contract", "run" + run, 64 << 10,
                256 << 10, dir.resolve("cache"), 4, 1, S3Proxy.CREDENTIALS));
    }

    @Override
    protected DeviceProvider provider() {
        return provider;
    }

    @Override
    protected URI uri(String name) {
        return URI.create("s3:t/" + name);
    }
}
