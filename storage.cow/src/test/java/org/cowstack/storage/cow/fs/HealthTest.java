package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.api.MediaErrorException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.scrub.DamagedRange;
import org.cowstack.storage.api.scrub.DeviceErrors;
import org.cowstack.storage.api.scrub.ScrubOptions;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.api.scrub.VolumeHealth;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.DamagedRanges;
import org.cowstack.storage.cow.scrub.ListTarget;
import org.cowstack.storage.cow.scrub.ScrubJob;
import org.cowstack.storage.device.fault.FaultyDeviceProvider;
import org.cowstack.storage.device.faulty.FaultControl;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The status tree on a real volume: counters, damaged ranges and the scrub's record survive remounts. */
@Timeout(120)
class HealthTest {
    private static final long SIZE = 64L << 20;

    private static ScrubJob job(CowVolume v, ListTarget t) {
        ScrubJob j = new ScrubJob("test", t, v.statusRecords(), new ScrubJob.Host() {
            @Override
            public boolean readOnly() {
                return v.isReadOnly();
            }

            @Override
            public void checkUsable() throws java.io.IOException {
                v.core.checkUsable();
            }
        });
        j.load();
        return j;
    }

    @Test
    void aFreshVolumeHasNoStatusTreeAndAHealthyReport() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-fresh");
        CowVolume v = volumes.fresh(uri, SIZE);
        VolumeHealth h = v.health();
        assertEquals(DeviceErrors.NONE, h.errors());
        assertEquals(List.of(), h.damaged());
        assertEquals(ScrubState.NEVER, h.lastScrub().state());
        assertNull(h.readOnlyReason());
        v.sync();
        assertNull(v.tree(TreeId.STATUS), "created with the first record only");
        v.unmount();
    }

    @Test
    void countersArePersistedUntilReset() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-counters");
        CowVolume v = volumes.fresh(uri, SIZE);
        v.core.errors.read();
        v.core.errors.checksum();
        v.core.errors.checksum();
        v.core.errors.repaired(3);
        assertTrue(v.core.dirty(), "a changed counter is something to commit");
        v.unmount();
        CowVolume again = volumes.mount(uri);
        VolumeHealth h = again.health();
        assertEquals(new DeviceErrors(1, 0, 0, 2, 0), h.errors());
        assertEquals(3, h.repairs());
        assertEquals(new DeviceErrors(1, 0, 0, 2, 0), again.resetErrors());
        assertEquals(DeviceErrors.NONE, again.health().errors());
        again.abandon(); // resetErrors committed
        CowVolume third = volumes.mount(uri);
        assertEquals(DeviceErrors.NONE, third.health().errors());
        assertEquals(0, third.health().repairs());
        assertEquals(List.of(), third.audit(), "the status tree is accounted for");
        third.unmount();
    }

    @Test
    void theBoundDeviceCountsTheDevicesReadErrorsAndTheyArePersisted() throws Exception {
        MemDeviceProvider mem = new MemDeviceProvider();
        FaultyDeviceProvider faulty = new FaultyDeviceProvider(s -> s.equals("mem") ? mem : null);
        URI uri = URI.create("faulty:mem:health-faulty");
        new Volumes(mem).mkfs(URI.create("mem:health-faulty"), SIZE, FormatOptions.defaults());
        BlockDevice d = faulty.open(uri, OpenOptions.readWrite());
        CowVolume v = CowVolume.mount("faulty", uri, d, Volumes.SERVICES, MountOptions.defaults(), 8 << 20);
        Volumes.write(v, "/f", 0, new byte[256 << 10]);
        v.unmount();
        BlockDevice d2 = faulty.open(uri, OpenOptions.readWrite());
        CowVolume cold = CowVolume.mount("faulty", uri, d2, Volumes.SERVICES, MountOptions.defaults(), 8 << 20);
        FaultControl cut = (FaultControl) d2;
        cut.failRange(Superblock.RESERVED_BYTES, SIZE - Superblock.RESERVED_BYTES, true, false);
        assertThrows(MediaErrorException.class, () -> Volumes.readAll(cold, "/f"));
        long reads = cold.health().errors().read();
        assertTrue(reads >= 1, "counted: " + reads);
        assertEquals(0, cold.health().errors().write());
        cut.clearFaults();
        cold.unmount();
        CowVolume again = CowVolume.mount("faulty", uri, faulty.open(uri, OpenOptions.readWrite()), Volumes.SERVICES,
                MountOptions.defaults(), 8 << 20);
        assertEquals(reads, again.health().errors().read(), "kept across the remount");
        again.unmount();
    }

    @Test
    void damagedRangesArePersistedAndClearedByAWriteCoveringThem() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-damaged");
        CowVolume v = volumes.fresh(uri, SIZE);
        int bs = v.blockSize();
        Volumes.write(v, "/f", 0, new byte[16 * bs]);
        Volumes.write(v, "/g", 0, new byte[16 * bs]);
        long f = v.stat("/f").inode();
        long g = v.stat("/g").inode();
        v.core.damaged.mark(f, 2, 2, 1000, DamagedRanges.CHECKSUM);
        v.core.damaged.mark(f, 8, 1, 2000, DamagedRanges.MEDIA);
        v.core.damaged.mark(g, 4, 4, 3000, DamagedRanges.MEDIA);
        v.unmount();

        CowVolume again = volumes.mount(uri);
        List<DamagedRange> damaged = again.health().damaged();
        assertEquals(3, damaged.size(), damaged.toString());
        DamagedRange first = damaged.get(0);
        assertEquals(1000, first.physical());
        assertEquals(2, first.blocks());
        assertEquals("checksum", first.cause());
        assertEquals(new BlockOwner(BlockOwner.Kind.FILE, "/f", f, 2L * bs), first.owners().get(0));
        assertNotNull(again.core.damaged.firstDamaged(f, 0, 3), "a read overlapping it");
        assertNull(again.core.damaged.firstDamaged(f, 4, 4));

        Volumes.write(again, "/f", 2L * bs, new byte[bs]); // covers half of it: still damaged
        assertNotNull(again.core.damaged.firstDamaged(f, 2, 1));
        Volumes.write(again, "/f", 2L * bs - 1, new byte[2 * bs + 2]); // covers it whole
        assertNull(again.core.damaged.firstDamaged(f, 0, 8));
        assertNotNull(again.core.damaged.firstDamaged(f, 8, 1));
        again.delete("/f");
        assertNull(again.core.damaged.firstDamaged(f, 0, 16), "gone with its file");
        try (var h = again.open("/g", Volumes.RW)) {
            h.truncate(6L * bs);
        }
        assertEquals(2, again.core.damaged.firstDamaged(g, 0, 16).blocks(), "cut with its file");
        again.unmount();

        CowVolume third = volumes.mount(uri);
        List<DamagedRange> left = third.health().damaged();
        assertEquals(1, left.size(), left.toString());
        assertEquals(2, left.get(0).blocks());
        assertEquals(List.of(), third.audit());
        third.unmount();
    }

    @Test
    void aReadOnlyVolumeKeepsItsRecordsInMemoryOnly() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-ro");
        volumes.fresh(uri, SIZE).unmount();
        CowVolume ro = volumes.mount(uri, MountOptions.defaults().readOnly(true));
        ro.core.errors.read();
        assertEquals(1, ro.health().errors().read());
        assertThrows(ReadOnlyException.class, () -> ro.scrub().start(new ScrubOptions(true, 0)));
        ScrubStatus s = ro.scrub().start(new ScrubOptions(false, 0));
        assertTrue(s.state() == ScrubState.RUNNING || s.state() == ScrubState.FINISHED);
        assertEquals(ScrubState.FINISHED, ro.scrub().await(30_000).state());
        ro.unmount();
        CowVolume again = volumes.mount(uri);
        assertEquals(DeviceErrors.NONE, again.health().errors());
        assertEquals(ScrubState.NEVER, again.health().lastScrub().state());
        again.unmount();
    }

    @Test
    void theVolumesOwnScrubFinishesOnACleanVolumeAndItsResultIsKept() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-scrub");
        CowVolume v = volumes.fresh(uri, SIZE);
        Volumes.write(v, "/f", 0, new byte[64 << 10]);
        v.scrub().start(new ScrubOptions(true, 0));
        ScrubStatus s = v.scrub().await(30_000);
        assertEquals(ScrubState.FINISHED, s.state());
        assertEquals(0, s.errors());
        assertTrue(s.blocksChecked() >= 0);
        v.unmount();
        CowVolume again = volumes.mount(uri);
        ScrubStatus kept = again.health().lastScrub();
        assertEquals(ScrubState.FINISHED, kept.state());
        assertEquals(s.started(), kept.started());
        assertEquals(List.of(), again.audit());
        again.unmount();
    }

    @Test
    void aScrubPausedByUnmountResumesAfterTheMountFromItsCursor() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-resume");
        CowVolume v = volumes.fresh(uri, SIZE);
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20;
        ScrubJob j = job(v, t);
        j.start(new ScrubOptions(true, 0));
        Thread.sleep(80);
        j.stop(true); // what unmount does first
        v.unmount();

        CowVolume again = volumes.mount(uri);
        ScrubJob resumed = job(again, t);
        ScrubStatus loaded = resumed.status();
        assertEquals(ScrubState.PAUSED, loaded.state());
        assertTrue(loaded.bytesDone() > 0 && loaded.bytesDone() < loaded.bytesTotal(), loaded.toString());
        resumed.resume();
        assertEquals(ScrubState.FINISHED, resumed.await(30_000).state());
        assertTrue(t.eachReadOnce(), "every range once across the remount: " + t.reads);
        again.unmount();
    }

    @Test
    void aCrashWhileAScrubRunsLosesOnlyWhatFollowedItsLastPersist() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-crash");
        CowVolume v = volumes.fresh(uri, SIZE);
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20;
        ScrubJob j = job(v, t);
        j.persistEvery(Long.MAX_VALUE, 1);
        j.start(new ScrubOptions(true, 0));
        Thread.sleep(120);
        j.stop(false);
        v.abandon();

        CowVolume again = volumes.mount(uri);
        ScrubJob resumed = job(again, t);
        assertEquals(ScrubState.PAUSED, resumed.status().state(), "interrupted");
        assertTrue(resumed.status().bytesDone() > 0, "it persisted while it ran");
        resumed.resume();
        ScrubStatus s = resumed.await(30_000);
        assertEquals(ScrubState.FINISHED, s.state());
        assertEquals(t.totalBlocks(), s.blocksChecked(), "each block counted once");
        List<Integer> counts = new ArrayList<>();
        t.reads.values().forEach(c -> counts.add(c.get()));
        assertTrue(counts.stream().allMatch(c -> c <= 2), "only what followed the last persist read twice");
        again.unmount();
    }

    @Test
    void theDamagedRangesAScrubFoundAreKeptWithTheirOwners() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-found");
        CowVolume v = volumes.fresh(uri, SIZE);
        ListTarget t = ListTarget.of(8, 16);
        t.damagedAt = 17;
        ScrubJob j = job(v, t);
        j.start(new ScrubOptions(true, 0));
        assertEquals(ScrubState.FINISHED, j.await(30_000).state());
        v.unmount();
        CowVolume again = volumes.mount(uri);
        ScrubStatus kept = job(again, t).status();
        assertEquals(1, kept.errors());
        assertEquals(1, kept.corrected());
        DamagedRange d = kept.damaged().get(0);
        assertEquals(17, d.physical());
        assertEquals(2, d.copy());
        assertEquals("checksum", d.cause());
        assertTrue(d.repaired());
        assertEquals(2, d.owners().size());
        assertEquals("/" + "d".repeat(254), d.owners().get(0).path(), "paths are kept to 255 bytes");
        assertEquals(4096, d.owners().get(0).offset());
        assertEquals(new BlockOwner(BlockOwner.Kind.METADATA, "fs tree", -1, -1), d.owners().get(1));
        again.unmount();
    }

    @Test
    void unmountPausesTheVolumesRunningScrub() throws Exception {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:health-unmount");
        CowVolume v = volumes.fresh(uri, SIZE);
        v.scrub().start(new ScrubOptions(true, 0));
        v.unmount(); // never hangs, whatever state the job is in
        CowVolume again = volumes.mount(uri);
        ScrubState s = again.health().lastScrub().state();
        assertTrue(s == ScrubState.FINISHED || s == ScrubState.PAUSED, s.toString());
        again.unmount();
    }
}
