package org.cowstack.storage.cow.scrub;

import java.io.IOException;

import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.MediaErrors;
import org.cowstack.storage.api.scrub.DeviceErrors;
import org.cowstack.storage.api.scrub.Scrub;
import org.cowstack.storage.api.scrub.VolumeHealth;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.io.BlockIo;

/**
 * The volume's room for its health: the scrub pass and job, the status records (scrub
 * report, error counters, damaged ranges) and the answer to bad ranges the device
 * reports by itself. The facade builds one and passes the calls through.
 */
public final class ScrubRoom {
    /** Commits the volume (what persisting a record or resetting counters needs). */
    @FunctionalInterface
    public interface Sync {
        void sync() throws IOException;
    }

    private final VolumeCore core;
    private final Sync sync;
    private final ScrubPass pass;
    private final MediaErrorResponse mediaErrors;
    private final StatusRecords records;
    private final ScrubJob job;
    /**
     * The device that reports bad ranges, while the volume listens. Weakly: a hot swap of
     * its bundle replaces the device under the volume, and a strong reference here kept
     * the replaced revision's class loader alive (HotSwapIT's leak check).
     */
    private volatile java.lang.ref.WeakReference<MediaErrors> reporting = new java.lang.ref.WeakReference<>(null);

    public ScrubRoom(VolumeCore core, BlockIo io, Sync sync) {
        this.core = core;
        this.sync = sync;
        this.pass = new ScrubPass(core, io);
        this.mediaErrors = new MediaErrorResponse(core, pass);
        this.records = new StatusRecords(core, sync::sync);
        core.participants.add(records);
        core.changes.add(core.damaged);
        this.job = new ScrubJob(core.name, pass, records, new ScrubJob.Host() {
            @Override
            public boolean readOnly() {
                return core.readOnly();
            }

            @Override
            public void checkUsable() throws IOException {
                core.checkUsable();
            }
        });
    }

    /** At mount: the records stored on the volume, and a scrub found running loads as paused. */
    public void load() throws IOException {
        records.load();
        job.load();
    }

    /** Listens to the bad ranges {@code device} reports by itself, if it can. */
    public void listen(BlockDevice device) {
        if (device instanceof MediaErrors reports) {
            reports.onMediaError(mediaErrors);
            reporting = new java.lang.ref.WeakReference<>(reports);
        }
    }

    /** Stops the scrub job: with {@code persist}, paused and committed (an unmount); without, as a crash. */
    public void stop(boolean persist) {
        job.stop(persist);
    }

    /** The device is closing: no more reports are heard, the one being answered finishes. */
    public void close() {
        MediaErrors r = reporting.get();
        if (r != null) {
            r.onMediaError(null);
            reporting.clear();
        }
        mediaErrors.close();
    }

    public Scrub job() {
        return job;
    }

    public ScrubPass pass() {
        return pass;
    }

    public StatusRecords records() {
        return records;
    }

    public MediaErrorResponse mediaErrors() {
        return mediaErrors;
    }

    public VolumeHealth health() {
        return Health.of(core, job.status());
    }

    /** Zeroes the device error counters, durably (in memory only on a read-only volume); answers them before. */
    public DeviceErrors resetErrors() throws IOException {
        core.checkUsable();
        DeviceErrors before = core.errors.reset();
        sync.sync();
        return before;
    }
}
