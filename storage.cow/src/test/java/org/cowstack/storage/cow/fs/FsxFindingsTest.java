package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Shrunk fsx logs of engine bugs, replayed: each must match the model once the bug is fixed. */
class FsxFindingsTest {
    /**
     * Found by the long run (seed 3406327687854915698, op 23605), shrunk from 23 606 steps.
     * A NOCOW file of 4608 bytes is committed (by the checksum swap); an append at 4608 goes
     * in place into the committed EOF block; the power fails before the size is committed.
     * After the mount the file is 4608 bytes, but its EOF block still holds the appended
     * bytes past 4608 on disk, and the direct write that extends the file far away exposes
     * them: bytes 4608..8191 read as the lost append instead of zeros (Linux zeroes the tail
     * of the old EOF block when it extends a file).
     */
    @Test
    void extendingANocowFileAfterACutShowsZerosPastItsOldEnd() throws IOException {
        List<FsxOp> ops = List.of(
                new FsxOp(FsxOp.Kind.RECREATE, 2, 0, 27994, 6473, 7267, -1211202214714491883L),
                new FsxOp(FsxOp.Kind.APPEND, 2, 0, 906407, 4607, 43897, 7453240819943285958L),
                new FsxOp(FsxOp.Kind.SWAP, 0, 0, 102219, 8940, 20856, 8832978092562569569L),
                new FsxOp(FsxOp.Kind.POWER_CUT, 1, 0, 780962, 12551, 18371, -2299942175537887254L),
                new FsxOp(FsxOp.Kind.APPEND, 2, 0, 226153, 7659, 52627, -2453172805017983902L),
                new FsxOp(FsxOp.Kind.SYNC, 1, 0, 612510, 11096, 31395, 7959653246753249413L),
                new FsxOp(FsxOp.Kind.DIRECT_WRITE, 2, 0, 992103, 1144, 57066, 8365926984142343152L));
        assertNull(Fsx.replay(ops, System.out::println));
    }
}
