package org.cowstack.storage.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.cowstack.storage.bench.BenchRun.Profile;
import org.junit.jupiter.api.Test;

class PeersTest {
    static final List<String> PEERS_TSV = List.of(
            "# bench/peers --quick at 2026-12-05T23:50:00Z, 128 MiB",
            "raw\tseqwrite\t400\tms",
            "btrfs\tseqwrite\t800\tms",
            "xfs\tseqwrite\t500\tms",
            "raw\trandwrite\t2000\tiops",
            "btrfs\trandwrite\t700\tiops",
            "btrfs\treflink\t16.5\tms");

    @Test
    void ratiosAreSpeedOverTheRawFilesForTimesAndRates() {
        Peers.Measured m = Peers.parsePeers(PEERS_TSV);
        assertEquals(List.of("bench/peers --quick at 2026-12-05T23:50:00Z, 128 MiB"), m.comments());
        assertEquals(0.5, m.get("btrfs", "seqwrite").ratioTo(m.get("raw", "seqwrite")), 1e-9);
        assertEquals(0.8, m.get("xfs", "seqwrite").ratioTo(m.get("raw", "seqwrite")), 1e-9);
        assertEquals(0.35, m.get("btrfs", "randwrite").ratioTo(m.get("raw", "randwrite")), 1e-9);
        assertEquals("0.50 (800 ms)", Peers.cell(m, "btrfs", "seqwrite"));
        assertEquals("0.35 (700 IOPS)", Peers.cell(m, "btrfs", "randwrite"));
        assertEquals("16.5 ms", Peers.cell(m, "btrfs", "reflink"), "no raw figure: the time alone");
        assertEquals("-", Peers.cell(m, "xfs", "randwrite"));
    }

    @Test
    void aMalformedLineIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Peers.parsePeers(List.of("raw\tseqwrite\tfast\tms")));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Peers.parsePeers(List.of("raw\tseqwrite\t1\tMB/s")));
    }

    @Test
    void everyPeerWorkloadFindsOurRowsInBothProfiles() {
        for (Profile p : List.of(Profile.FULL, Profile.QUICK)) {
            List<String> ours = BenchRun.rows(p).stream().map(Table.Row::workload).toList();
            for (Peers.Workload w : Peers.WORKLOADS) {
                long n = ours.stream().filter(o -> w.ours().matcher(o).find()).count();
                long expected = w.id().equals("randwrite") ? BenchRun.STRATEGIES.size() : 1;
                assertEquals(expected, n, w.id() + " in " + ours);
            }
        }
    }

    @Test
    void theTablePutsOursBesideThePeersOrAlone() {
        List<String> comments = new ArrayList<>();
        List<Peers.Ours> ours = Peers.parseOurs(List.of("# bench/run --quick at now",
                "workload\tratio\tengine\tbaseline\ttarget\tverdict",
                "sequential buffered write 128 MiB, 1 MiB writes, crc32c, fsync\t0.35\t900 ms\t315 ms\t>= 0.80\tMISS",
                "reflink 1 GiB file, 1 extent\t-\t0.412 ms\t-\t< 1 ms\tOK"), comments);
        assertEquals(List.of("bench/run --quick at now"), comments);
        String table = Peers.render(ours, Peers.parsePeers(PEERS_TSV));
        assertTrue(table.lines().anyMatch(l -> l.startsWith("sequential buffered write 128 MiB")
                && l.contains("0.35") && l.contains("0.50 (800 ms)") && l.contains("0.80 (500 ms)")
                && l.endsWith("400 ms")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("reflink 1 GiB file") && l.contains("0.412 ms")
                && l.contains("16.5 ms")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("random 4 KiB O_DIRECT writes")), table);
        String alone = Peers.render(ours, null);
        assertEquals("WORKLOAD", alone.lines().findFirst().orElseThrow().split(" +")[0]);
        assertTrue(alone.lines().noneMatch(l -> l.contains("BTRFS")), alone);
    }
}
