package org.cowstack.storage.s3.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.s3.device.S3DeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A store that throttles (503 SlowDown, answered by {@link CuttingProxy} in front of a
 * real s3proxy): the client backs off and retries, so a commit through a burst of
 * throttling succeeds; throttling that outlasts the retries fails that commit with one
 * line naming SlowDown — the engine then fails the volume, as btrfs aborts a transaction
 * whose writes fail, and what that commit held is lost — and the device mounts and
 * commits again once the store accepts requests (an I/O error of a request, not another
 * writer: nothing is fenced).
 */
@Timeout(180)
class S3ThrottleTest extends OnS3Proxy {
    private static final long SIZE = 32L << 20;

    @Test
    void aBurstOfSlowDownIsRetriedAndThrottlingThatOutlastsTheRetriesFailsOneCommitOnly() throws Exception {
        URI uri = URI.create("s3:t/throttled");
        S3DeviceProvider direct = CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve("mkfs"), 32L << 20));
        CrashKit.mkfs(direct, uri, SIZE);
        direct.deactivate();
        byte[] first = new byte[300_000];
        byte[] second = new byte[200_000];
        new Random(11).nextBytes(first);
        new Random(12).nextBytes(second);
        try (CuttingProxy proxy = new CuttingProxy(server.endpoint(), Long.MAX_VALUE, CuttingProxy.At.ANY, true)) {
            S3DeviceProvider viaProxy = CrashKit.provider(CrashKit.store(proxy.endpoint(), dir.resolve("cache"),
                    32L << 20));
            try {
                CrashKit.Mounted m = CrashKit.mount(viaProxy, uri);
                CrashKit.write(m.volume(), "/f", 0, first);
                proxy.throttle(4); // fewer than the client's attempts at any one request
                m.volume().sync();
                assertEquals(4, proxy.throttled(), "the burst was met");

                CrashKit.write(m.volume(), "/g", 0, second);
                proxy.throttle(Long.MAX_VALUE);
                IOException e = assertThrows(IOException.class, () -> m.volume().sync());
                String line = e.getMessage();
                assertTrue(line.contains("SlowDown"), line);
                assertFalse(line.contains("\n"), line);
                assertFalse(line.contains("another writer"), line);
                proxy.throttle(0);
                System.out.println("S3ThrottleTest: " + proxy.throttled() + " requests throttled; the commit that "
                        + "outlasted the retries failed with: " + line + "; the volume: " + m.volume().state());
                assertEquals(org.cowstack.storage.api.volume.VolumeState.FAILED, m.volume().state());
                m.volume().abandon();
                CrashKit.Mounted again = CrashKit.mount(viaProxy, uri);
                CrashKit.write(again.volume(), "/g", 0, second);
                again.volume().sync();
                again.volume().unmount();
            } finally {
                viaProxy.deactivate();
            }
        }
        S3DeviceProvider after = CrashKit.provider(CrashKit.store(server.endpoint(), dir.resolve("after"), 32L << 20));
        try {
            assertEquals(List.of(), CrashKit.offlineCheck(after, uri));
            CrashKit.Mounted m = CrashKit.mount(after, uri);
            try {
                assertArrayEquals(first, CrashKit.readAll(m.volume(), "/f"));
                assertArrayEquals(second, CrashKit.readAll(m.volume(), "/g"));
            } finally {
                m.volume().unmount();
            }
        } finally {
            after.deactivate();
        }
    }
}
