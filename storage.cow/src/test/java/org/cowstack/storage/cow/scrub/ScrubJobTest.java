package org.cowstack.storage.cow.scrub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.cowstack.storage.api.BusyException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.scrub.ScrubOptions;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.cow.meta.StatusStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scrub job over a target of its own (a fixed list of ranges) and a record kept in memory. */
@Timeout(60)
class ScrubJobTest {
    private static final long MIB = 1L << 20;

    /** The status tree and its commit, in memory: what was committed survives a "restart". */
    static final class MemoryStore implements ScrubJob.Store {
        volatile StatusStore.ScrubRecord pending;
        volatile StatusStore.ScrubRecord committed;
        volatile int commits;

        @Override
        public StatusStore.ScrubRecord stored() {
            return pending;
        }

        @Override
        public void put(StatusStore.ScrubRecord r, boolean sameScrub) {
            pending = r;
        }

        @Override
        public void commit() {
            committed = pending;
            commits++;
        }

        /** A restart: only what was committed is there. */
        MemoryStore restarted() {
            MemoryStore s = new MemoryStore();
            s.pending = committed;
            s.committed = committed;
            return s;
        }
    }

    static final class Host implements ScrubJob.Host {
        volatile boolean readOnly;

        @Override
        public boolean readOnly() {
            return readOnly;
        }

        @Override
        public void checkUsable() {
        }
    }

    private static ScrubJob job(ScrubTarget target, MemoryStore store, Host host) {
        ScrubJob j = new ScrubJob("test", target, store, host);
        j.load();
        return j;
    }

    @Test
    void aScrubReadsEveryRangeOnceAndFinishes() throws Exception {
        ListTarget t = ListTarget.of(100, 256); // 100 MiB in 1 MiB ranges
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        assertEquals(ScrubState.NEVER, j.status().state());
        j.start(new ScrubOptions(true, 0));
        ScrubStatus s = j.await(30_000);
        assertEquals(ScrubState.FINISHED, s.state());
        assertTrue(t.eachReadOnce());
        assertEquals(t.totalBlocks(), s.blocksChecked());
        assertEquals(s.bytesTotal(), s.bytesDone());
        assertEquals(100.0, s.percent());
        assertNotNull(s.started());
        assertNotNull(s.ended());
        assertEquals(ScrubState.FINISHED, store.committed.state(), "the end is committed");
    }

    @Test
    void pauseAndResumeReadEveryRangeExactlyOnce() throws Exception {
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20; // 4 ranges a piece: 16 pieces, about 320 ms
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        j.start(new ScrubOptions(true, 0));
        Thread.sleep(60);
        ScrubStatus paused = j.pause();
        assertEquals(ScrubState.PAUSED, paused.state());
        assertTrue(paused.bytesDone() < paused.bytesTotal(), "paused half-way: " + paused);
        assertEquals(ScrubState.PAUSED, store.committed.state(), "the pause is committed");
        assertEquals(paused.bytesDone(), store.committed.bytesDone());
        assertThrows(InvalidArgumentException.class, j::pause, "not running");
        assertThrows(BusyException.class, () -> j.start(new ScrubOptions(true, 0)), "paused: resume or cancel");
        Thread.sleep(50);
        assertEquals(paused.bytesDone(), j.status().bytesDone(), "nothing read while paused");
        j.resume();
        ScrubStatus s = j.await(30_000);
        assertEquals(ScrubState.FINISHED, s.state());
        assertTrue(t.eachReadOnce(), "every range once: " + t.reads);
        assertEquals(t.totalBlocks(), s.blocksChecked());
    }

    @Test
    void aRestartResumesFromThePersistedCursorAndTally() throws Exception {
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20;
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        j.start(new ScrubOptions(false, 0));
        Thread.sleep(80);
        j.stop(true); // an unmount: paused and committed
        ScrubJob again = job(t, store.restarted(), new Host());
        ScrubStatus loaded = again.status();
        assertEquals(ScrubState.PAUSED, loaded.state());
        assertTrue(loaded.bytesDone() > 0 && loaded.bytesDone() < loaded.bytesTotal(), loaded.toString());
        again.resume();
        ScrubStatus s = again.await(30_000);
        assertEquals(ScrubState.FINISHED, s.state());
        assertTrue(t.eachReadOnce(), "every range once across both: " + t.reads);
        assertEquals(t.totalBlocks(), s.blocksChecked());
    }

    @Test
    void aCrashLoadsTheRunningScrubAsPausedAndItsCountsMatchItsCursor() throws Exception {
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20;
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        j.persistEvery(Long.MAX_VALUE, 1); // after every piece
        j.start(new ScrubOptions(false, 0));
        Thread.sleep(100);
        j.stop(false); // a crash: no last commit
        StatusStore.ScrubRecord kept = store.committed;
        assertEquals(ScrubState.RUNNING, kept.state(), "persisted while it ran");
        ScrubJob again = job(t, store.restarted(), new Host());
        assertEquals(ScrubState.PAUSED, again.status().state(), "interrupted: paused");
        again.resume();
        ScrubStatus s = again.await(30_000);
        assertEquals(ScrubState.FINISHED, s.state());
        assertEquals(t.totalBlocks(), s.blocksChecked(), "each block counted once, though some were read twice");
    }

    @Test
    void aLimitChangedWhileRunningTakesEffect() throws Exception {
        ListTarget t = ListTarget.of(256, 256); // 256 MiB
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        j.start(new ScrubOptions(false, MIB));
        Thread.sleep(2000);
        ScrubStatus limited = j.status();
        assertEquals(ScrubState.RUNNING, limited.state());
        assertTrue(limited.bytesDone() <= 3 * MIB + MIB / 2, "1 MiB/s for 2 s: " + limited.bytesDone());
        assertTrue(limited.bytesDone() > 0);
        assertEquals(MIB, limited.limit());
        j.limit(0);
        ScrubStatus s = j.await(30_000);
        assertEquals(ScrubState.FINISHED, s.state(), "no limit: it runs to the end");
        assertTrue(t.eachReadOnce());
        assertThrows(InvalidArgumentException.class, () -> j.limit(-1));
    }

    @Test
    void cancelEndsItForGoodAndANewStartBeginsAgain() throws Exception {
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20;
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        j.start(new ScrubOptions(true, 0));
        Thread.sleep(50);
        ScrubStatus c = j.cancel();
        assertEquals(ScrubState.CANCELLED, c.state());
        assertNotNull(c.ended());
        assertEquals(ScrubState.CANCELLED, store.committed.state());
        assertThrows(InvalidArgumentException.class, j::resume);
        assertThrows(InvalidArgumentException.class, j::cancel);
        t.delayMillis = 0;
        t.reads.clear();
        j.start(new ScrubOptions(true, 0));
        assertEquals(ScrubState.FINISHED, j.await(30_000).state());
        assertTrue(t.eachReadOnce(), "from the start again");
    }

    @Test
    void aPausedScrubCanBeCancelled() throws Exception {
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 20;
        ScrubJob j = job(t, new MemoryStore(), new Host());
        j.start(new ScrubOptions(true, 0));
        j.pause();
        assertEquals(ScrubState.CANCELLED, j.cancel().state());
    }

    @Test
    void startWhileRunningIsBusyAndNamesTheState() throws Exception {
        ListTarget t = ListTarget.of(64, 256);
        t.delayMillis = 50;
        ScrubJob j = job(t, new MemoryStore(), new Host());
        j.start(new ScrubOptions(true, 0));
        BusyException e = assertThrows(BusyException.class, () -> j.start(new ScrubOptions(true, 0)));
        assertTrue(e.getMessage().contains("running"), e.getMessage());
        assertThrows(InvalidArgumentException.class, j::resume);
        j.cancel();
    }

    @Test
    void aRepairingScrubOfAReadOnlyVolumeIsRefused() throws Exception {
        Host host = new Host();
        host.readOnly = true;
        ScrubJob j = job(ListTarget.of(4, 16), new MemoryStore(), host);
        assertThrows(ReadOnlyException.class, () -> j.start(new ScrubOptions(true, 0)));
        j.start(new ScrubOptions(false, 0));
        assertEquals(ScrubState.FINISHED, j.await(30_000).state());
    }

    @Test
    void anErrorOfTheTargetFailsTheScrubWithOneLine() throws Exception {
        ListTarget t = ListTarget.of(16, 256);
        t.failAt = 5 * 257;
        t.damagedAt = 257;
        MemoryStore store = new MemoryStore();
        ScrubJob j = job(t, store, new Host());
        j.start(new ScrubOptions(true, 0));
        ScrubStatus s = j.await(30_000);
        assertEquals(ScrubState.FAILED, s.state());
        assertEquals("media error on mem:test at block 1285", s.failure());
        assertEquals(1, s.errors());
        assertEquals(1, s.corrected());
        assertEquals(1, s.damaged().size());
        assertEquals(ScrubState.FAILED, store.committed.state());
        assertEquals(1, store.committed.damaged().size());
    }

    @Test
    void bytesDoneNeverPassTheTotal() throws Exception {
        ListTarget t = ListTarget.of(8, 16);
        ScrubTarget growing = new ScrubTarget() {
            @Override
            public long totalBytes() {
                return t.totalBytes() / 2; // the volume grew after the total was taken
            }

            @Override
            public long scrub(long cursor, long maxBytes, boolean repair, ScrubTally tally) throws IOException {
                return t.scrub(cursor, maxBytes, repair, tally);
            }
        };
        ScrubJob j = job(growing, new MemoryStore(), new Host());
        j.start(new ScrubOptions(false, 0));
        ScrubStatus s = j.await(30_000);
        assertEquals(s.bytesTotal(), s.bytesDone());
        assertEquals(100.0, s.percent());
        assertNull(s.failure());
    }
}
