package org.cowstack.storage.bench;

import java.io.IOException;
import java.lang.reflect.Field;

import org.cowstack.storage.api.scrub.Scrub;
import org.cowstack.storage.api.scrub.ScrubOptions;
import org.cowstack.storage.api.scrub.ScrubState;
import org.cowstack.storage.api.scrub.ScrubStatus;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.scrub.ScrubPass;
import org.cowstack.storage.cow.scrub.ScrubTally;

/**
 * One whole scrub of a mounted volume, for {@link ScrubBenchmark}: the adapter between
 * the benchmark and whichever way the engine offers to run it.
 * <ul>
 * <li>{@code pass} (the default, {@code -Dbench.scrub=pass}): the engine's
 * {@link ScrubPass} driven in a loop on the calling thread, {@link #PIECE} bytes a call,
 * as the scrub job drives it, without its rate limit, pauses or persisted cursor. The
 * pass needs the volume's {@code VolumeCore}, a package-private field of
 * {@link CowVolume}: read by reflection (the benchmarks run on the class path, outside
 * OSGi and JPMS), so storage.cow needs no bench-only API.</li>
 * <li>{@code api} ({@code -Dbench.scrub=api}): the public job,
 * {@code Volume.scrub().start(new ScrubOptions(repair, 0))}, awaited until it is no
 * longer running. Until the job lands, {@code CowVolume.scrub()} throws.</li>
 * </ul>
 * {@link BenchRun} passes {@code bench.scrub} on to the forked JVMs.
 */
final class Scrubber {
    /** Bytes per {@code ScrubPass.scrub} call: {@code ScrubJob.PIECE} (4 MiB) on the scrub-job branch. */
    static final long PIECE = 4L << 20;

    static final String MODE = System.getProperty("bench.scrub", "pass");

    private static final Field CORE;

    static {
        try {
            CORE = CowVolume.class.getDeclaredField("core");
            CORE.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What one scrub read and found. {@code bytes}: every block it verified (data and both metadata copies). */
    record Result(String how, long bytes, long dataBytes, long blocks, long errors) {
    }

    private Scrubber() {
    }

    static Result scrub(CowVolume volume, boolean repair) throws IOException {
        Result r = switch (MODE) {
            case "pass" -> pass(volume, repair);
            case "api" -> api(volume, repair);
            default -> throw new IllegalArgumentException("-Dbench.scrub=" + MODE + " (expected pass or api)");
        };
        if (r.errors() != 0) {
            throw new IOException("scrub found " + r.errors() + " errors on a volume just written: " + r);
        }
        return r;
    }

    static Result pass(CowVolume volume, boolean repair) throws IOException {
        VolumeCore core = core(volume);
        ScrubPass pass = new ScrubPass(core, new BlockIo(core));
        ScrubTally tally = new ScrubTally();
        for (long cursor = 0; cursor >= 0;) {
            cursor = pass.scrub(cursor, PIECE, repair, tally);
        }
        return new Result("ScrubPass", tally.blocksChecked() * volume.blockSize(), tally.bytesDone(),
                tally.blocksChecked(), tally.errors());
    }

    static Result api(CowVolume volume, boolean repair) throws IOException {
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
        return new Result("Volume.scrub()", s.blocksChecked() * volume.blockSize(), s.bytesDone(),
                s.blocksChecked(), s.errors());
    }

    static VolumeCore core(CowVolume volume) {
        try {
            return (VolumeCore) CORE.get(volume);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
