package org.cowstack.storage.cow.scrub;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.cow.core.CommitParticipant;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.meta.DamagedRanges;
import org.cowstack.storage.cow.meta.StatusStore;

/**
 * A volume's health records between the status tree and memory: loads the error
 * counters ({@code core.errors}), the damaged file ranges ({@code core.damaged}) and the
 * last scrub at mount, and, as a {@link CommitParticipant}, stores what changed with the
 * next commit. On a read-only volume nothing commits, so they live in memory only.
 */
public final class StatusRecords implements CommitParticipant, ScrubJob.Store {
    private final VolumeCore core;
    private final StatusStore store;
    private final Committing commit;
    /** Guarded by this. */
    private StatusStore.ScrubRecord scrub;
    private boolean scrubPending;
    private boolean rewriteScrub;

    /** How the job's records reach the device: the volume's commit. */
    @FunctionalInterface
    public interface Committing {
        void commit() throws IOException;
    }

    public StatusRecords(VolumeCore core, Committing commit) {
        this.core = core;
        this.store = new StatusStore(core.trees);
        this.commit = commit;
    }

    /** What a mount does: the stored counters, damaged ranges and last scrub. */
    public void load() throws IOException {
        core.treeLock.reading(() -> {
            StatusStore.Counters c = store.errors();
            core.errors.load(c.errors(), c.repairs());
            List<DamagedRanges.Range> damaged = store.damaged();
            core.damaged.load(damaged);
            StatusStore.ScrubRecord r = store.scrub();
            synchronized (this) {
                scrub = r;
                scrubPending = false;
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ ScrubJob.Store

    @Override
    public synchronized StatusStore.ScrubRecord stored() {
        return scrub;
    }

    @Override
    public synchronized void put(StatusStore.ScrubRecord r, boolean sameScrub) {
        scrub = r;
        scrubPending = true;
        rewriteScrub |= !sameScrub;
    }

    @Override
    public void commit() throws IOException {
        commit.commit();
    }

    // ------------------------------------------------------------------ CommitParticipant

    @Override
    public void beforeCommit() throws IOException {
        if (core.errors.changed()) {
            long mark = core.errors.mark();
            store.errors(new StatusStore.Counters(core.errors.snapshot(), core.errors.repairs()));
            core.errors.stored(mark);
        }
        Map<List<Long>, DamagedRanges.Range> changes = core.damaged.takeChanged();
        try {
            store.damaged(changes);
        } catch (IOException | RuntimeException e) {
            core.damaged.unstored(changes);
            throw e;
        }
        StatusStore.ScrubRecord r;
        boolean rewrite;
        synchronized (this) {
            if (!scrubPending) {
                return;
            }
            r = scrub;
            rewrite = rewriteScrub;
            scrubPending = false;
            rewriteScrub = false;
        }
        store.scrub(r, !rewrite);
    }

    @Override
    public synchronized boolean pending() {
        return scrubPending || core.errors.changed() || core.damaged.pending();
    }
}
