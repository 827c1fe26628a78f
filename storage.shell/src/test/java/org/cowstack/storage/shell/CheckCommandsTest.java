package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;

import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.cow.fs.CowVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** storage:check over the real engine on RAM disks: a mounted volume, an image, a damaged node, bad input. */
@Timeout(60)
class CheckCommandsTest {
    private static final String SUMMARY = "clean: generation \\d+, \\d+ trees?, \\d+ nodes? "
            + "\\(\\d+ cop(y|ies) verified\\), \\d+ extents?, \\d+ blocks? referenced, \\d+ free";

    private MemEngine engine;
    private final CheckCommands commands = new CheckCommands();

    @BeforeEach
    void mount() throws Exception {
        engine = new MemEngine();
        write(engine.mount("v", 64L << 20));
        commands.bindManager(engine);
    }

    private static void write(CowVolume v) throws IOException {
        try (FileHandle f = v.open("/f", EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
            f.write(ByteBuffer.wrap(new byte[256 << 10]), 0);
        }
        v.sync();
    }

    @AfterEach
    void unmount() throws Exception {
        engine.close();
    }

    private Object run(String... words) throws Exception {
        return commands.check(Sessions.empty(), words);
    }

    private byte[] image(URI uri) throws IOException {
        try (BlockDevice d = engine.mem.open(uri, OpenOptions.readOnly())) {
            ByteBuffer b = ByteBuffer.allocate((int) d.size());
            d.read(b, 0);
            return b.array();
        }
    }

    @Test
    void aMountedVolumeIsCleanAsTextAndAsJson() throws Exception {
        CheckCommands.Checked c = (CheckCommands.Checked) run("v");
        assertTrue(c.report().clean());
        assertTrue(c.line().matches(SUMMARY), c.line());
        assertEquals(c.line(), c.details(), "no problem lines");
        assertEquals(2 * c.report().nodes(), c.report().checksumsVerified(), "metadata dup: two copies per node");
        assertTrue(c.report().extents() >= 1);
        String json = (String) run("--json", "v");
        assertTrue(json.matches("\\{\"target\":\"v\",\"clean\":true,\"generation\":\\d+,\"trees\":\\d+,\"nodes\":\\d+,"
                + "\"checksumsVerified\":\\d+,\"extents\":\\d+,\"blocksReferenced\":\\d+,\"freeBlocks\":\\d+,"
                + "\"note\":null,\"problems\":\\[\\]\\}"), json);
    }

    @Test
    void theUriOfAMountedVolumeChecksTheVolumeAndSaysSo() throws Exception {
        CheckCommands.Checked c = (CheckCommands.Checked) run("mem:v");
        assertTrue(c.report().clean());
        assertTrue(c.line().endsWith("; mem:v is mounted as v: its last commit was checked"), c.line());
    }

    @Test
    void anImageIsCheckedReadOnlyAndADamagedCopyIsReported() throws Exception {
        URI uri = URI.create("mem:w");
        write(engine.mount("w", 64L << 20));
        engine.unmount("w");
        // a node of the committed image, found through the reverse map of a read-only mount
        CowVolume ro = engine.mountExisting("w", true);
        long node = -1;
        for (long b = 0; b < 1024 && node < 0; b++) {
            for (BlockOwner o : ro.owners(b)) {
                if (o.kind() == BlockOwner.Kind.METADATA) {
                    node = b;
                }
            }
        }
        engine.unmount("w");
        assertTrue(node > 0, "a metadata node in the first 4 MiB");

        byte[] before = image(uri);
        CheckCommands.Checked clean = (CheckCommands.Checked) run("mem:w");
        assertTrue(clean.report().clean(), clean.details());
        assertNull(clean.note());
        assertArrayEquals(before, image(uri), "a check changes nothing");

        try (BlockDevice d = engine.mem.open(uri, OpenOptions.readWrite())) {
            ByteBuffer block = d.allocate(4096);
            d.read(block, node * 4096);
            block.put(2000, (byte) (block.get(2000) ^ 0x10));
            block.clear();
            d.write(block, node * 4096);
        }
        byte[] damaged = image(uri);
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> run("mem:w"));
        assertEquals("mem:w: check found 1 problem", e.getMessage());
        CheckCommands.Checked c = commands.checked("mem:w");
        assertEquals(1, c.report().problems().size(), c.details());
        String problem = c.report().problems().get(0);
        assertTrue(problem.contains("at block " + node + ": checksum mismatch (the other copy is good)"), problem);
        assertTrue(c.line().startsWith("1 problem: generation "), c.line());
        assertEquals(problem + "\n" + c.line(), c.details());
        assertTrue(c.json().contains("\"clean\":false,"), c.json());
        assertArrayEquals(damaged, image(uri), "a check changes nothing, also when it finds problems");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> run("nosuch"));
        assertEquals("no volume named nosuch is mounted, and nosuch is not a device URI (such as file:vol.img); "
                + "storage:volumes lists the volumes", none.getMessage());
        InvalidArgumentException bad = assertThrows(InvalidArgumentException.class, () -> run("mem:a b"));
        assertFalse(bad.getMessage().contains("\n"), bad.getMessage());
        assertTrue(bad.getMessage().contains("mem:a b"), bad.getMessage());
        NotSupportedException scheme = assertThrows(NotSupportedException.class, () -> run("nbd:x"));
        assertTrue(scheme.getMessage().contains("nbd"), scheme.getMessage());
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> run("mem:missing"));
        assertNotNull(missing.getMessage());
        try (BlockDevice d = engine.mem.open(URI.create("mem:zeros"), OpenOptions.create(4L << 20))) {
            assertNotNull(d);
        }
        CorruptImageException notAVolume = assertThrows(CorruptImageException.class, () -> run("mem:zeros"));
        assertTrue(notAVolume.getMessage().startsWith("mem:zeros: "), notAVolume.getMessage());
        assertFalse(notAVolume.getMessage().contains("check found"), notAVolume.getMessage());
    }
}
