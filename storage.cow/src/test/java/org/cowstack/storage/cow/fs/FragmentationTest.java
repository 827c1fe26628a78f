package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The same seeded churn (files written, overwritten in place of their blocks, appended,
 * deleted and created again, buffered and direct, with commits) on a volume for each
 * allocation policy; reports extents per file and free-space fragments afterwards, and
 * checks that a contiguity request still gets one extent where the space allows it.
 */
class FragmentationTest {
    private static final int FILES = 24;
    private static final int OPS = 1500;
    private static final StringBuilder REPORT = new StringBuilder();

    @AfterAll
    static void print() {
        System.out.print("Fragmentation after " + OPS + " churn operations on " + FILES + " files\n" + REPORT);
    }

    @Test
    void everyPolicyAfterTheSameChurn() throws IOException {
        long seed = Seeds.seed("FragmentationTest");
        REPORT.append(String.format("%-10s %10s %10s %10s %12s %14s%n", "policy", "files", "extents", "max/file",
                "free extents", "largest free"));
        for (String policy : Volumes.ALLOCATION_POLICIES) {
            churn(policy, seed);
        }
    }

    private void churn(String policy, long seed) throws IOException {
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:frag-" + policy);
        volumes.mkfs(uri, 128 << 20, org.cowstack.storage.api.volume.FormatOptions.defaults());
        CowVolume v = volumes.mount(uri, MountOptions.defaults().allocationPolicy(policy));
        try {
            Random r = new Random(seed);
            for (int op = 0; op < OPS; op++) {
                String path = "/f" + r.nextInt(FILES);
                int what = r.nextInt(100);
                if (what < 5) {
                    try {
                        v.delete(path);
                    } catch (java.nio.file.NoSuchFileException absent) {
                        // nothing to delete
                    }
                    continue;
                }
                int blocks = 1 + r.nextInt(r.nextInt(10) == 0 ? 512 : 32);
                long offset = (long) r.nextInt(1024) * 4096;
                ByteBuffer data = ByteBuffer.allocate(blocks * 4096);
                r.nextBytes(data.array());
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    if (what < 40) {
                        f.append(data, r.nextBoolean());
                    } else if (what < 70) {
                        f.write(data, offset);
                    } else {
                        v.dioStrategy(r.nextBoolean() ? "bounce" : "nodatasum");
                        f.writeDirect(data, offset);
                    }
                }
                if (r.nextInt(20) == 0) {
                    v.sync();
                }
            }
            v.sync();
            assertEquals(List.of(), v.audit(), policy + " (seed " + seed + ")");
            int files = 0;
            long extents = 0;
            long max = 0;
            for (var e : v.list("/")) {
                try (FileHandle f = v.open("/" + e.name(), Volumes.RW)) {
                    long n = physicalExtents(f.extents(0, Math.max(1, f.size())));
                    files++;
                    extents += n;
                    max = Math.max(max, n);
                }
            }
            var free = v.freeExtents();
            long largest = free.values().stream().mapToLong(Long::longValue).max().orElse(0);
            REPORT.append(String.format("%-10s %10d %10.1f %10d %12d %14s%n", policy, files, (double) extents / files,
                    max, free.size(), largest * 4096 / 1024 + " KiB"));

            // A contiguity request is honoured while the space allows it: a run as long as
            // the largest free extent (at most 4 MiB, the longest run one write asks for).
            // Measured once the file exists: creating it copies metadata nodes on write, and
            // a policy may place them in what was the largest free extent.
            try (FileHandle f = v.open("/contiguous", Volumes.RW)) {
                long largestNow = v.freeExtents().values().stream().mapToLong(Long::longValue).max().orElse(0);
                int blocks = (int) Math.min(1024, largestNow);
                assertTrue(blocks >= 64, policy + ": room for the check");
                v.dioStrategy("bounce");
                f.writeDirect(ByteBuffer.allocate(blocks * 4096), 0);
                assertEquals(1, physicalExtents(f.extents(0, blocks * 4096L)),
                        policy + ": " + blocks + " blocks in one extent");
            }
        } finally {
            v.unmount();
        }
    }

    /** Runs of physically contiguous data, as filefrag counts them. */
    private static long physicalExtents(List<ExtentMapping> map) {
        List<long[]> runs = new ArrayList<>();
        for (ExtentMapping m : map) {
            if (m.physical() < 0) {
                continue;
            }
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[0] + last[1] == m.physical()) {
                last[1] += m.length();
            } else {
                runs.add(new long[] {m.physical(), m.length()});
            }
        }
        return runs.size();
    }
}
