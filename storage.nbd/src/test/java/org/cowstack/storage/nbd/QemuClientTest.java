package org.cowstack.storage.nbd;

import static org.cowstack.storage.nbd.Tools.have;
import static org.cowstack.storage.nbd.Tools.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cowstack.storage.api.volume.FileHandle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients against the server: qemu-img and qemu-io (qemu-utils, which .ci/run
 * installs where it is missing). Skipped, saying so, where they cannot be had.
 */
class QemuClientTest extends ServerFixture {
    @TempDir
    Path dir;

    private String uri(String export) {
        return "nbd://127.0.0.1:" + server.port() + "/" + export;
    }

    @Test
    void qemuImgAndQemuIoReadWriteMapAndConvert() throws Exception {
        assumeTrue(have("qemu-img") && have("qemu-io"), "qemu-img and qemu-io are not installed (qemu-utils): "
                + "the real-client test is skipped");
        String info = run("qemu-img", "info", "--output=json", uri("disk"));
        assertTrue(info.contains("\"virtual-size\": 4194304"), info);

        String io = run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 64k", "-c", "read -P 0x5a 0 64k",
                "-c", "write -z 128k 64k", "-c", "discard 192k 64k", "-c", "flush", "-c", "read -P 0xab 1M 1M",
                uri("disk"));
        assertTrue(io.contains("wrote 65536/65536 bytes at offset 0"), io);
        assertTrue(io.contains("read 65536/65536 bytes at offset 0"), io);
        assertTrue(io.contains("read 1048576/1048576 bytes at offset 1048576"), io);
        assertTrue(!io.contains("Pattern verification failed"), io);

        // block status through base:allocation: the data and the holes as the file has them
        String map = run("qemu-img", "map", "--output=json", "-f", "raw", uri("disk"));
        System.out.println("QemuClientTest: qemu-img map of the export:\n" + map.strip());
        assertTrue(map.contains("\"start\": 0, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": false, "
                + "\"data\": true"), map);
        assertTrue(map.contains("\"start\": 1048576, \"length\": 1048576, \"depth\": 0, \"present\": true, "
                + "\"zero\": false, \"data\": true"), map);
        assertTrue(map.contains("\"zero\": true, \"data\": false"), map);

        Path copy = dir.resolve("copy.raw");
        run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri("disk"), copy.toString());
        byte[] got = Files.readAllBytes(copy);
        byte[] expect = new byte[4 * MIB];
        java.util.Arrays.fill(expect, 0, 64 << 10, (byte) 0x5a);
        java.util.Arrays.fill(expect, MIB, 2 * MIB, (byte) 0xab);
        assertArrayEquals(expect, got, "qemu-img convert of the export");
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate(4 * MIB);
            while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                // all of it
            }
            assertArrayEquals(expect, b.array(), "the volume's file holds what the client wrote");
        }

        // a read-only export refuses writes in qemu's words, one line
        Process p = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "write 0 4k", uri("ro")).redirectErrorStream(true)
                .start();
        String refused = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        System.out.println("QemuClientTest: qemu-io write on the read-only export: " + refused.strip());
        assertTrue(refused.contains("Operation not permitted") || refused.contains("read-only")
                || refused.contains("Read-only") || p.exitValue() != 0, refused);

        // several clients at once
        List<Process> readers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            readers.add(new ProcessBuilder("qemu-io", "-r", "-f", "raw", "-c", "read -P 0xab 1M 1M", uri("disk"))
                    .redirectErrorStream(true).start());
        }
        for (Process r : readers) {
            String out = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(r.waitFor(60, TimeUnit.SECONDS));
            assertTrue(out.contains("read 1048576/1048576 bytes at offset 1048576"), out);
        }
    }

    @Test
    void nbdinfoAndNbdcopySeeTheExportsAndTheirMap() throws Exception {
        assumeTrue(have("nbdinfo") && have("nbdcopy"), "nbdinfo and nbdcopy are not installed (libnbd-bin): "
                + "the libnbd test is skipped");
        String list = run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.port());
        System.out.println("QemuClientTest: nbdinfo --list:\n" + list.strip());
        assertTrue(list.contains("export=\"disk\"") && list.contains("export=\"ro\""), list);
        String info = run("nbdinfo", uri("disk"));
        System.out.println("QemuClientTest: nbdinfo:\n" + info.strip());
        assertTrue(info.contains("export-size: 4194304"), info);
        assertTrue(info.contains("can_multi_conn: true"), info);
        assertTrue(info.contains("block_size_preferred: 4096"), info);
        String map = run("nbdinfo", "--map", uri("disk"));
        System.out.println("QemuClientTest: nbdinfo --map:\n" + map.strip());
        assertEquals(List.of("0 1048576 3 hole,zero", "1048576 1048576 0 data", "2097152 2097152 3 hole,zero"),
                map.strip().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList());
        Path copy = dir.resolve("nbdcopy.raw");
        run("nbdcopy", uri("disk"), copy.toString());
        byte[] expect = new byte[4 * MIB];
        java.util.Arrays.fill(expect, MIB, 2 * MIB, (byte) 0xab);
        assertArrayEquals(expect, Files.readAllBytes(copy), "nbdcopy of the export");
        try (FileHandle f = volume.open("/disk", EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
            f.bitmaps().add("b0", org.cowstack.storage.api.bitmap.BitmapOptions.defaults());
            f.write(ByteBuffer.wrap(new byte[100]), 3L * MIB + 10);
        }
        String contexts = run("nbdinfo", "--list", "--content", "nbd://127.0.0.1:" + server.port());
        System.out.println("QemuClientTest: nbdinfo --list --content:\n" + contexts.strip());
        String dirty = run("nbdinfo", "--map=qemu:dirty-bitmap:b0", uri("disk"));
        System.out.println("QemuClientTest: nbdinfo --map=qemu:dirty-bitmap:b0:\n" + dirty.strip());
        assertEquals(List.of("0 3145728 0 clean", "3145728 65536 1 dirty", "3211264 983040 0 clean"),
                dirty.strip().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList());
        String ro = run("nbdinfo", uri("ro"));
        assertTrue(ro.contains("is_read_only: true"), ro);
    }

    /** Room for a 64 MiB image: the {@code big} export. */
    @Override
    int bigMiB() {
        return 64;
    }

    /**
     * A 64 MiB image of random data (with a zero MiB in it) goes in by nbdcopy and comes
     * out by nbdcopy byte for byte; qemu-img convert writes it into the export again and
     * qemu-img compare finds the export and the image equal.
     */
    @Test
    void aSixtyFourMegabyteImageGoesInAndOutByNbdcopyAndQemuImg() throws Exception {
        assumeTrue(have("nbdcopy") && have("qemu-img"), "nbdcopy or qemu-img is not installed: the copy test is "
                + "skipped");
        byte[] image = new byte[64 * MIB];
        new java.util.Random(20).nextBytes(image);
        java.util.Arrays.fill(image, 8 * MIB, 9 * MIB, (byte) 0);
        Path local = dir.resolve("image.raw");
        Files.write(local, image);
        run("nbdcopy", local.toString(), uri("big"));
        Path back = dir.resolve("back.raw");
        run("nbdcopy", uri("big"), back.toString());
        assertArrayEquals(image, Files.readAllBytes(back), "nbdcopy in and out");
        try (FileHandle f = volume.open("/big", EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
            f.fallocate(org.cowstack.storage.api.volume.FallocateMode.PUNCH_HOLE, 0, 64L * MIB); // empty again
        }
        run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", local.toString(), uri("big"));
        String same = run("qemu-img", "compare", "-f", "raw", "-F", "raw", local.toString(), uri("big"));
        assertTrue(same.contains("Images are identical"), same);
        java.util.Arrays.fill(image, 0, 4096, (byte) 1);
        Files.write(local, image);
        Object differs = Tools.fails("qemu-img", "compare", "-f", "raw", "-F", "raw", local.toString(), uri("big"));
        assertTrue(String.valueOf(differs).contains("Content mismatch at offset 0"), String.valueOf(differs));
    }
}
