package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The io sub-commands against the real engine on a RAM disk. */
class IoScriptTest {
    private final MemDeviceProvider mem = new MemDeviceProvider();
    private CowVolume volume;
    private FileHandle file;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private IoScript io;

    @BeforeEach
    void mount() throws IOException {
        VolumeServices services = VolumeServices.of(List.of(new Crc32c()), List.of(new FirstFit()),
                List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct()));
        URI uri = URI.create("mem:io");
        try (BlockDevice d = mem.open(uri, OpenOptions.create(32 << 20))) {
            CowVolume.format(d, FormatOptions.defaults(), services, "first-fit");
        }
        volume = CowVolume.mount("v", uri, mem.open(uri, OpenOptions.readWrite()), services, MountOptions.defaults(),
                8 << 20);
        file = volume.open("/f", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
        io = new IoScript(volume, file, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void unmount() throws IOException {
        file.close();
        volume.unmount();
        mem.deactivate();
    }

    private List<String> run(String... commands) throws IOException {
        bytes.reset();
        for (String c : commands) {
            io.run(c);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void pwriteAndMd5sumOfOneMebibyteOfCd() throws Exception {
        assertEquals(List.of("wrote 1048576/1048576 bytes at offset 0"), run("pwrite 0 1m"));
        byte[] cd = new byte[1 << 20];
        java.util.Arrays.fill(cd, (byte) 0xcd);
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(cd));
        assertEquals(List.of(md5 + "  /f"), run("md5sum"));
        assertEquals(List.of("ca539970d4b1fa1f34213ba675007381  /f"), run("md5sum"), "as md5sum(1) prints it");
    }

    @Test
    void patternsOffsetsDirectAndAppend() throws IOException {
        assertEquals(List.of("wrote 8192/8192 bytes at offset 4096"), run("pwrite -S 0xab -b 1k 4k 8k"));
        assertEquals(List.of("read 8192/8192 bytes at offset 4096"), run("pread -P 0xab 0x1000 8192"));
        assertEquals(List.of("read 4096/4096 bytes at offset 0"), run("pread -P 0 0 4k"), "the hole reads zeros");
        assertEquals(List.of("wrote 4096/4096 bytes at offset 12288"), run("pwrite -a -S 1 0 4k"));
        assertEquals(List.of("wrote 8192/8192 bytes at offset 16384"), run("pwrite -d -S 2 16k 8k"));
        assertEquals(List.of("size 24576", "allocated 20480", "flags -", "unchecksummed 0"), run("fsync", "stat"), "the 4k hole is not allocated");
        List<String> map = run("fiemap");
        assertEquals("0 4096 - hole", map.get(0));
        long next = 4096;
        for (String line : map.subList(1, map.size())) {
            String[] f = line.split(" ");
            assertEquals(next, Long.parseLong(f[0]), "the data extents follow each other: " + map);
            assertEquals("-", f[3], "no flags: " + map);
            next += Long.parseLong(f[1]);
        }
        assertEquals(24576, next, "they cover the rest of the file: " + map);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run("pread -P 0xab 4k 12k"));
        assertEquals("pread: byte at offset 12288 is 0x01, expected 0xab", e.getMessage());
        assertEquals(List.of("read 0/100 bytes at offset 99999"), run("pread 99999 100"));
    }

    @Test
    void truncateAndHexDump() throws IOException {
        run("pwrite -S 0x41 0 20", "truncate 10");
        assertEquals(List.of("00000000:  41 41 41 41 41 41 41 41 41 41                    AAAAAAAAAA",
                "read 10/10 bytes at offset 0"), run("pread -v 0 10"));
    }

    @Test
    void badInputIsOneClearMessage() {
        assertEquals("unknown io command 'pwrit'; known: " + IoScript.COMMANDS,
                assertThrows(IllegalArgumentException.class, () -> run("pwrit 0 1")).getMessage());
        assertEquals("pwrite: expected 2 arguments, got 1 (0)",
                assertThrows(IllegalArgumentException.class, () -> run("pwrite 0")).getMessage());
        assertEquals("pwrite -S: 0x100 (expected: a byte value 0..255 (0x00..0xff))",
                assertThrows(IllegalArgumentException.class, () -> run("pwrite -S 0x100 0 1")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> run("pread 0 ten")).getMessage()
                .startsWith("pread length: ten (expected: "));
        assertEquals("pwrite: unknown option -x",
                assertThrows(IllegalArgumentException.class, () -> run("pwrite -x 0 1")).getMessage());
        assertEquals("pwrite: -1 is negative; offsets and lengths are >= 0",
                assertThrows(IllegalArgumentException.class, () -> run("pwrite -1 4k")).getMessage());
        assertEquals("fsync: expected 0 arguments, got 1 (now)",
                assertThrows(IllegalArgumentException.class, () -> run("fsync now")).getMessage());
    }

    @Test
    void theP2ScenarioLineByLine() throws IOException {
        run("chattr +C");
        assertEquals(List.of("nocow /f"), run("lsattr"));
        assertEquals(List.of("wrote 8192/8192 bytes at offset 12288", "linked 4096/4096 bytes at offset 0"),
                run("falloc 8k 24k", "pwrite 12k 8k", "reflink /f 8k 0 4k"));
        List<String> map = run("fiemap");
        assertEquals(4, map.size(), map.toString());
        assertTrue(map.get(0).matches("0 8192 - hole"), map.toString());
        assertTrue(map.get(1).matches("8192 4096 \\d+ unwritten"), map.toString());
        assertTrue(map.get(2).matches("12288 8192 \\d+ -"), map.toString());
        assertTrue(map.get(3).matches("20480 12288 \\d+ unwritten"), map.toString());
        assertEquals(List.of("size 32768"), run("stat").subList(0, 1));
    }

    @Test
    void reflinkDedupeAndTheirErrors() throws IOException {
        run("pwrite -S 0x11 0 64k", "fsync");
        try (FileHandle g = volume.open("/g", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
            g.write(java.nio.ByteBuffer.wrap(new byte[64 << 10]), 0);
        }
        IllegalStateException differs = assertThrows(IllegalStateException.class, () -> run("dedupe /g 0 0 64k"));
        assertTrue(differs.getMessage().startsWith("dedupe: differs"), differs.getMessage());
        assertEquals(List.of("linked 65536/65536 bytes at offset 65536"), run("reflink /f 0 64k 64k"));
        assertEquals(List.of("deduped 65536/65536 bytes at offset 0"), run("dedupe /f 64k 0 64k"));
        assertTrue(run("fiemap").get(0).endsWith(" shared"));
        assertEquals(List.of(), run("funshare 0 64k", "fsync"));
        assertTrue(run("fiemap").get(0).endsWith(" -"));
        InvalidArgumentException unaligned = assertThrows(InvalidArgumentException.class,
                () -> run("reflink /g 1 0 4k"));
        assertTrue(unaligned.getMessage().contains("multiple of the block size"), unaligned.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> run("reflink /nothing 0 0 4k"));
        IllegalArgumentException arity = assertThrows(IllegalArgumentException.class, () -> run("reflink /g 0 0"));
        assertTrue(arity.getMessage().contains("expected 4 arguments"), arity.getMessage());
        IllegalArgumentException attr = assertThrows(IllegalArgumentException.class, () -> run("chattr +X"));
        assertTrue(attr.getMessage().contains("unknown attribute +X"), attr.getMessage());
        InvalidArgumentException nocow = assertThrows(InvalidArgumentException.class, () -> run("chattr +C"));
        assertTrue(nocow.getMessage().contains("empty file"), nocow.getMessage());
        run("chattr +nodatasum");
        assertEquals(List.of("nodatasum /f"), run("lsattr"));
        assertEquals(List.of(), run("fpunch 4k 4k", "fzero -k 8k 4k", "falloc -k 1m 64k"));
        assertEquals(List.of("size 131072"), run("stat").subList(0, 1));
    }

    @Test
    void mmapMreadMwriteMsyncMunmap() throws Exception {
        run("pwrite -S 0xab 0 64k", "fsync", "reflink /f 0 64k 64k"); // the second half shares the first
        assertEquals(List.of("[000] rw- /f (0 : 65536) cache"),
                run("mmap -w 0 64k", "mread -P 0xab 0 64k", "mwrite -S 0x11 4000 100", "mread -P 0x11 4000 100",
                        "mread -P 0xab 1000 3000", "msync", "msync 0 4k", "mmap"), "silent as xfs_io, but the list");
        assertEquals(List.of("00000fa0:  11 11 11 11" + " ".repeat(38) + "...."), run("mread -v 4000 4"),
                "pread -v's dump, at file offsets (xfs_io's mread -f)");
        IllegalStateException wrong = assertThrows(IllegalStateException.class, () -> run("mread -P 0xab 4000 1"));
        assertEquals("mread: byte at offset 4000 is 0x11, expected 0xab", wrong.getMessage());
        assertThrows(InvalidArgumentException.class, () -> run("mwrite 65500 100"), "past the mapping");
        assertThrows(IllegalArgumentException.class, () -> run("msync 0"));
        assertEquals(List.of("read 65536/65536 bytes at offset 65536"), run("pread -P 0xab 64k 64k"),
                "the clone kept its bytes: the store copied the shared block");
        run("munmap");
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> run("mread 0 1"));
        assertEquals("mread: nothing is mapped; mmap OFF LEN first", none.getMessage());
        assertEquals(List.of("no mapped regions, try 'help storage:io'"), run("mmap"));
        assertThrows(IllegalArgumentException.class, () -> run("mmap 0"));
        assertEquals(List.of("[000] r-- /f (0 : 4096) cache"), run("mmap 0 4k", "mmap"));
        assertThrows(org.cowstack.storage.api.ReadOnlyException.class, () -> run("mwrite 0 1"));
        io.close();
    }
}
