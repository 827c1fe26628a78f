package org.cowstack.storage.bench;

import java.io.IOException;

import org.cowstack.storage.api.scrub.Scrub;
import org.cowstack.storage.api.scrub.ScrubOptions;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.cow.fs.CowVolume;

/**
 * One whole scrub of a mounted volume, for {@link ScrubBenchmark}: what users run, the
 * public job, {@code Volume.scrub().start(new ScrubOptions(repair, 0))} (no rate limit),
 * awaited until it is no longer running. It includes what the job adds to the pass: its
 * pieces, the commits that persist its cursor, and the total it takes at the start.
 */
final class Scrubber {
    /** What one scrub read and found. {@code bytes}: every block it verified (data and both metadata copies). */
    record Result(String how, long bytes, long dataBytes, long blocks, long errors) {
    }

    private Scrubber() {
    }

    static Result scrub(CowVolume volume, boolean repair) throws IOException {
        Scrub scrub = volume.scrub();
        ScrubStatus s = scrub.start(new ScrubOptions(repair, 0));
        try {
            while (s.state() == ScrubState.RUNNING) {
                s = scrub.await(60_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the scrub ran");
        }
        if (s.state() != ScrubState.FINISHED) {
            throw new IOException("scrub ended " + s.state() + ": " + s.failure());
        }
        if (s.errors() != 0) {
            throw new IOException("scrub found " + s.errors() + " errors on a volume just written: " + s);
        }
        return new Result("Volume.scrub()", s.blocksChecked() * volume.blockSize(), s.bytesDone(),
                s.blocksChecked(), s.errors());
    }
}
