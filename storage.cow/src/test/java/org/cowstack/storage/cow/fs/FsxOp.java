package org.cowstack.storage.cow.fs;

import java.util.Random;

/**
 * One step of an fsx run, as drawn: raw numbers that {@link Fsx} interprets against the
 * files as they are when the step runs (an offset modulo the file size, say), so that any
 * sub-list of a run is itself a valid run, which is what shrinking needs.
 *
 * @param file  the file the step works on (0 to {@link Fsx#FILES} - 1)
 * @param other the second file of a clone, dedupe or copy
 * @param arg   the step's variant bits: fallocate mode, DIO strategy, buffer kind, ...
 * @param seed  seeds the data written (and the power cut's choices)
 */
record FsxOp(Kind kind, int file, int other, long offset, long length, int arg, long seed) {

    /** What a step does, with the weight it is drawn with. */
    enum Kind {
        READ(14), WRITE(14), DIRECT_WRITE(9), APPEND(5), TRUNCATE(3), FALLOCATE(6), CLONE(5), DEDUPE(4), COPY(3),
        MAP_READ(4), MAP_WRITE(5), FSYNC(6), SYNC(2), REMOUNT(1), POWER_CUT(1), SWAP(2), RECREATE(2), COMPARE(2);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    private static final int TOTAL_WEIGHT = java.util.Arrays.stream(Kind.values()).mapToInt(k -> k.weight).sum();

    static FsxOp random(Random r) {
        int w = r.nextInt(TOTAL_WEIGHT);
        Kind kind = null;
        for (Kind k : Kind.values()) {
            if (w < k.weight) {
                kind = k;
                break;
            }
            w -= k.weight;
        }
        // Lengths are mostly small, now and then large: the large ones cross extents and pages.
        long length = r.nextInt(8) == 0 ? r.nextInt(Fsx.MAX_FILE) : r.nextInt(24_000);
        return new FsxOp(kind, r.nextInt(Fsx.FILES), r.nextInt(Fsx.FILES), r.nextInt(Fsx.MAX_FILE), length,
                r.nextInt(1 << 16), r.nextLong());
    }

    @Override
    public String toString() {
        return kind + " f" + file + (kind == Kind.CLONE || kind == Kind.DEDUPE || kind == Kind.COPY ? " <- f" + other : "")
                + " offset " + offset + " length " + length + " arg " + arg + " seed " + seed;
    }
}
