package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.cow.scrub.MediaErrorResponse;
import org.cowstack.storage.dax.DaxDeviceProvider;
import org.cowstack.storage.dax.faults.Poisoning;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * P4's media error on {@code dax:}: a poisoned range of a block two reflinked files
 * share is reported by the device, not found by a read; the volume names both owners
 * and repairs the range from its {@code dup} copy, and both files read right. No process
 * is killed, nothing else is touched.
 */
class DaxPoisonTest {
    private static final int BS = 4096;
    private final DaxDeviceProvider dax = new DaxDeviceProvider();
    private final Volumes volumes = new Volumes(dax);

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws IOException {
        dax.deactivate();
    }

    @Test
    void poisonOnASharedBlockReachesBothOwnersAndIsRepairedFromTheSecondCopy() throws Exception {
        URI uri = URI.create("dax:" + dir.resolve("pmem.img"));
        Random random = new Random(Seeds.seed("DaxPoisonTest"));
        CowVolume v = volumes.fresh(uri, 64L << 20, FormatOptions.defaults().dataProfile(FormatOptions.DUP));
        byte[] data = new byte[16 * BS];
        random.nextBytes(data);
        Volumes.write(v, "/a", 0, data);
        try (FileHandle a = v.open("/a", Volumes.RW); FileHandle b = v.open("/b", Volumes.RW)) {
            b.cloneRange(a, 0, 0, 0);
        }
        v.sync();
        long physical;
        try (FileHandle a = v.open("/a", Volumes.RW)) {
            physical = a.extents(5 * BS, 1).get(0).physical();
        }
        ((Poisoning) v.boundDevice()).poison(physical + 512, 1024); // part of block 5 of both files
        List<MediaErrorResponse.Response> answers = v.health.mediaErrors().await(1, 30_000);
        assertEquals(1, answers.size());
        MediaErrorResponse.Response r = answers.get(0);
        System.out.printf("DaxPoisonTest: owners known %.2f ms after the poison, repaired at %.2f ms%n",
                r.ownersNanos() / 1e6, r.doneNanos() / 1e6);
        assertEquals(1, r.damaged().size(), r.toString());
        DamagedRange d = r.damaged().get(0);
        assertTrue(d.repaired(), d.toString());
        Set<String> owners = new HashSet<>();
        for (BlockOwner o : d.owners()) {
            owners.add(o.path() + "@" + o.offset());
        }
        assertEquals(Set.of("/a@" + 5 * BS, "/b@" + 5 * BS), owners);
        for (String f : List.of("/a", "/b")) {
            long ino = v.stat(f).inode();
            v.core.readCache.clear(); // read the device, not what the cache holds (/b's pages too)
            v.core.cache.drop(ino, 0, Long.MAX_VALUE);
            assertArrayEquals(data, Volumes.readAll(v, f), f);
        }
        ByteBuffer block = ByteBuffer.allocate(BS);
        v.boundDevice().read(block, physical); // the repair's write cleared the poison
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 5 * BS, 6 * BS), block.array());
        assertEquals(List.of(), v.audit());
        v.unmount();
    }
}
