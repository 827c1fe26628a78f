package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.junit.jupiter.api.Test;

/**
 * A direct write over blocks whose older buffered data a commit is writing right now
 * (its data write runs without the tree lock and the commit lock): on a NOCOW file both
 * go to the same blocks in place, so the direct write must wait for the commit's write,
 * as the kernel waits for writeback of the range before a direct write. Otherwise the
 * commit's older data lands over the direct write's: the direct write is lost, and its
 * checksum then fails against the block (a false checksum error, P1's symptom). It did,
 * before a direct write waited for pages in writeback as well as dirty ones.
 */
class DirectOverWritebackTest {
    private static final int MIB = 1 << 20;

    @Test
    void aDirectWriteIsNotOverwrittenByTheCommitOfOlderBufferedData() throws Exception {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:direct-over-writeback-" + System.nanoTime());
        vs.mkfs(uri, 64L << 20, FormatOptions.defaults());
        GatedDevice device = new GatedDevice(vs.provider.open(uri, OpenOptions.readWrite()));
        // The direct strategy: the caller's buffer straight to the device (buffered would stage it).
        CowVolume v = CowVolume.mount("test", uri, device, Volumes.SERVICES,
                MountOptions.defaults().dioStrategy("direct"), CowVolume.DEFAULT_CACHE_BYTES);
        byte[] older = filled(1);
        byte[] newer = filled(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (FileHandle f = v.open("/nocow", Volumes.RW); FileHandle g = v.open("/nocow", Volumes.RW)) {
            f.setFlags(Set.of(FileFlag.NOCOW), Set.of());
            f.write(ByteBuffer.wrap(filled(0)), 0);
            f.fsync(); // the file has its blocks: what follows overwrites them in place
            f.write(ByteBuffer.wrap(older), 0); // dirty, buffered

            device.hold.set(true); // the commit's data write waits inside the device
            Future<?> commit = pool.submit(() -> {
                f.fsync();
                return null;
            });
            assertTrue(device.inside.await(10, TimeUnit.SECONDS), "the commit reached its data write");
            Future<?> direct = pool.submit(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2 * MIB).alignedSlice(4096).limit(MIB);
                b.put(newer).flip();
                g.writeDirect(b, 0);
                return null;
            });
            // Give an unguarded direct write the time to reach the device before the commit's.
            try {
                direct.get(300, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException waiting) {
                // it waits for the commit's write: what it must do
            }
            device.release.countDown();
            commit.get(30, TimeUnit.SECONDS);
            direct.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals(newer, Arrays.copyOf(Volumes.readAll(v, "/nocow"), MIB),
                "the direct write, issued after the buffered one, is what the file holds");
        v.unmount();
        CowVolume again = vs.mount(uri);
        assertArrayEquals(newer, Arrays.copyOf(Volumes.readAll(again, "/nocow"), MIB), "and after a remount");
        again.unmount();
    }

    private static byte[] filled(int value) {
        byte[] b = new byte[MIB];
        for (int i = 0; i < b.length; i += 512) {
            b[i] = (byte) (value * 37 + 1);
            b[i + 1] = (byte) (i >> 9);
            b[i + 2] = (byte) value;
        }
        return b;
    }
}
