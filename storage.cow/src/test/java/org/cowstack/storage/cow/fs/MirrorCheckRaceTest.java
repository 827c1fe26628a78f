package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.junit.jupiter.api.Test;

/**
 * Under {@code dup} metadata a node's second copy is read back before it is freed when
 * the node came from the device (image fuzzing: a pointer whose second copy names
 * another node must not free that node). A node frozen by a commit whose writes are still under way has no second
 * copy on the device yet: the block holds whatever an older node left there, and the
 * next transaction, which runs beside those writes, may free the node all the same. That
 * must not be taken for corruption (found by HotSwapIT: "names block 23146 as its second
 * copy, which holds another node ... generation 5, its parent expects 7").
 */
class MirrorCheckRaceTest {
    @Test
    void nodesOfACommitStillBeingWrittenAreFreedWithoutReadingTheirSecondCopy() throws Exception {
        MemDeviceProvider mem = new MemDeviceProvider();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        URI uri = URI.create("mem:mirror-race");
        Volumes volumes = new Volumes(mem);
        volumes.mkfs(uri, 8L << 20, FormatOptions.defaults());
        GatedDevice device = new GatedDevice(mem.open(uri, OpenOptions.readWrite()));
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES,
                MountOptions.defaults().allocationPolicy("first-fit"), CowVolume.DEFAULT_CACHE_BYTES);
        try {
            for (int round = 0; round < 150; round++) {
                // a commit with a large data write, held inside it: its nodes are frozen, not yet written
                try (FileHandle f = v.open("/big", Volumes.RW)) {
                    f.write(Volumes.filled(GatedDevice.DATA_WRITE + 4096, round), 0);
                }
                for (int i = 0; i < 20; i++) {
                    Volumes.write(v, "/f" + i, 0, new byte[] {(byte) round});
                }
                device.hold.set(true);
                Future<?> commit = pool.submit(() -> {
                    v.sync();
                    return null;
                });
                assertTrue(device.inside.await(30, TimeUnit.SECONDS), "the commit is in its data write");
                // the next transaction changes the same leaves: it frees the frozen nodes
                for (int i = 0; i < 20; i++) {
                    v.rename("/f" + i, "/g" + i);
                    v.rename("/g" + i, "/f" + i);
                }
                device.release.countDown();
                commit.get(30, TimeUnit.SECONDS);
                device.resetHold();
                v.sync();
            }
            assertEquals(List.of(), v.check().problems());
        } finally {
            device.release.countDown();
            v.abandon();
            pool.shutdownNow();
            mem.deactivate();
        }
    }
}
