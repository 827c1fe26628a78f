package org.cowstack.storage.s3.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URI;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.s3.device.S3DeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection lost at the wrong moment, no crash: a PUT of a commit lands, its answer is
 * lost (the connection drops), and the client's retry of the same conditional PUT is
 * refused with 412 because the first one landed. The commit should go on (the object or
 * manifest there is this writer's own, byte for byte), or at worst fail with an I/O
 * error; it must not fence this writer as if another one had committed. (Before the
 * fix in {@code S3Device.store} and its manifest put, both cases fenced the device with
 * "another writer committed to this device", and the engine's commit failed.)
 */
@Timeout(120)
class S3LostAnswerTest extends OnS3Proxy {
    private static final long SIZE = 32L << 20;

    @Test
    void aLostAnswerToAnObjectUploadIsNotAnotherWriter() throws Exception {
        lostAnswer("object", false);
    }

    @Test
    void aLostAnswerToTheManifestPutIsNotAnotherWriter() throws Exception {
        lostAnswer("manifest", true);
    }

    private static void lostAnswer(String volume, boolean manifest) throws Exception {
        URI uri = URI.create("s3:t/" + volume);
        S3DeviceProvider direct = CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve(volume + "-mkfs"),
                32L << 20));
        CrashKit.mkfs(direct, uri, SIZE);
        direct.deactivate();
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        try (CuttingProxy proxy = new CuttingProxy(server.endpoint(), Long.MAX_VALUE,
                manifest ? CuttingProxy.At.MANIFEST : CuttingProxy.At.ANY, true)) {
            S3DeviceProvider viaProxy = CrashKit.provider(CrashKit.store(proxy.endpoint(), dir.resolve(volume),
                    32L << 20));
            CrashKit.Mounted m = CrashKit.mount(viaProxy, uri);
            try {
                CrashKit.write(m.volume(), "/f", 0, data);
                proxy.loseAnswerOnly(proxy.puts() + 1); // the commit's first upload, or its first manifest put
                m.volume().sync();
                assertNotNull(proxy.lostAnswer(), "an answer was lost");
                System.out.println("S3LostAnswerTest: the answer to " + proxy.lostAnswer() + " was lost; the commit"
                        + " went on");
                m.volume().unmount();
            } finally {
                viaProxy.deactivate();
            }
        }
        S3DeviceProvider after = CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve(volume + "-after"),
                32L << 20));
        try {
            assertEquals(List.of(), CrashKit.offlineCheck(after, uri));
            CrashKit.Mounted m = CrashKit.mount(after, uri);
            try {
                assertArrayEquals(data, CrashKit.readAll(m.volume(), "/f"));
            } finally {
                m.volume().unmount();
            }
        } finally {
            after.deactivate();
        }
    }
}
