package org.cowstack.storage.s3.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.s3.S3StoreInfo;
import org.cowstack.storage.api.s3.S3StoreSettings;
import org.cowstack.storage.s3.client.S3Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code storage:s3 add} checks before it records a store, and what
 * {@code storage:s3 stores} shows of one (Config Admin itself is exercised by S3IT).
 */
class S3StoreAdminTest {
    @TempDir
    Path dir;

    private static S3StoreSettings settings(String name, String endpoint, String bucket, int objectSize, long cache,
            String access, String secret) {
        return new S3StoreSettings(name, endpoint, "", bucket, "p", objectSize, cache, access, secret);
    }

    private static String refusal(S3StoreSettings s) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> S3StoreAdmin.validate(s));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().contains("sekrit"), "the secret is never shown: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void badSettingsAreOneLineNamingTheField() throws Exception {
        String ok = "http://127.0.0.1:9000";
        assertEquals("name: a/b (expected: letters, digits, '.', '_' or '-', 1 to 63)",
                refusal(settings("a/b", ok, "bucket", 4096, 1 << 20, "k", "sekrit")));
        assertTrue(refusal(settings("s", ok, "bucket", 3000, 1 << 20, "k", "sekrit")).startsWith("object size: 3000"));
        assertTrue(refusal(settings("s", ok, "bucket", 1 << 20, 4096, "k", "sekrit")).startsWith("cache size: 4096"));
        assertTrue(refusal(settings("s", ok, "Bad_Bucket", 4096, 1 << 20, "k", "sekrit")).startsWith("bucket: "));
        assertTrue(refusal(settings("s", "ftp://x", "bucket", 4096, 1 << 20, "k", "sekrit")).startsWith("endpoint: "));
        assertTrue(refusal(settings("s", "http://x/?q", "bucket", 4096, 1 << 20, "k", "sekrit"))
                .startsWith("endpoint: "));
        assertTrue(refusal(settings("s", ok, "bucket", 4096, 1 << 20, "", "sekrit")).startsWith("credentials: "));
        S3Store s = S3StoreAdmin.validate(settings("s", ok, "bucket", 4096, 1 << 20, "k", "sekrit"));
        assertEquals("us-east-1", s.region());
        assertEquals("p/", s.prefix());
        assertFalse(s.toString().contains("sekrit"), s.toString());
        assertFalse(settings("s", ok, "bucket", 4096, 1 << 20, "k", "sekrit").toString().contains("sekrit"));
    }

    /** What the provider reads from Config Admin at activation, before the store components run. */
    @Test
    void aConfigurationReadsAsDeclarativeServicesWouldHandIt() {
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>();
        p.put("name", "s");
        p.put("endpoint", "http://127.0.0.1:9000");
        p.put("bucket", "bucket");
        p.put("objectSize", "65536");
        p.put("cacheSize", 1L << 20);
        p.put("accessKey", "k");
        p.put("secretKey", "sekrit");
        S3StoreConfiguration c = S3StoreComponent.configuration(p);
        assertEquals(65536, c.objectSize());
        assertEquals(1L << 20, c.cacheSize());
        assertEquals("us-east-1", c.region(), "the metatype default");
        assertEquals(S3Store.DEFAULT_RETAIN, c.retainGenerations());
        p.remove("bucket");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> S3StoreComponent.configuration(p).bucket())
                .getMessage().contains("bucket"));
    }

    @Test
    void storesCountWhatIsUnderThePrefixAndWhatTheOpenDevicesDid() throws Exception {
        try (S3Proxy server = S3Proxy.start(dir.resolve("s3"))) {
            server.client("bucket").createBucket();
            S3Store store = new S3Store("t", server.endpoint(), "us-east-1", "bucket", "p", 64 << 10, 1 << 20,
                    dir.resolve("cache"), 4, S3Store.DEFAULT_RETAIN, S3Proxy.CREDENTIALS);
            S3DeviceProvider provider = new S3DeviceProvider();
            provider.addStore(store);
            try (BlockDevice d = provider.open(URI.create("s3:t/vol"), OpenOptions.create(1 << 20))) {
                byte[] block = new byte[4096];
                block[0] = 1;
                d.write(ByteBuffer.wrap(block), 0);
                d.write(ByteBuffer.wrap(block), 200 << 10);
                d.flush();
                S3StoreInfo info = S3StoreAdmin.info(store, provider.devicesOf("t"));
                assertEquals(1, info.devices());
                assertEquals(3, info.objects(), "two objects and the manifest");
                assertEquals(2 * (64 << 10), info.bytes() - manifestBytes(server, store));
                assertEquals(3, info.puts(), "two objects and the manifest");
                assertEquals("", info.error());
            }
            assertEquals(List.of(), provider.devicesOf("t"), "a closed device is not counted");
            provider.deactivate();
            server.kill();
            S3StoreInfo down = S3StoreAdmin.info(store, List.of());
            assertEquals(-1, down.objects());
            assertTrue(down.error().contains("did not answer"), down.error());
            assertFalse(down.error().contains("\n"), down.error());
        }
    }

    private static long manifestBytes(S3Proxy server, S3Store store) throws Exception {
        return server.client("bucket").head(store.prefix() + "vol/manifest").size();
    }
}
