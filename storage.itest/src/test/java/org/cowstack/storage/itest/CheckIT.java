package org.cowstack.storage.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * {@code storage:check NAME|URI} through real Gogo sessions (issue 18): a mounted volume
 * and its unmounted image on the host are clean; a byte flipped in one copy of a metadata
 * node of the image is reported (the other copy good) and the command fails with one line
 * after the report; the image is never written; bad input is one line.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CheckIT {
    private static final Pattern JAVA = Pattern.compile("\\b(java|javax|org|com)\\.[a-z]+\\.|Exception|Cannot coerce");
    private static final String COUNTS = "generation \\d+, \\d+ trees?, \\d+ nodes? \\(\\d+ cop(y|ies) verified\\), "
            + "\\d+ extents?, \\d+ blocks? referenced, \\d+ free";

    @Inject
    private CommandProcessor gogo;

    @Inject
    private VolumeManager manager;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    /** What a command line printed (its result included), and how it failed (null: it did not). */
    private record Run(String printed, Exception failure) {
        String ok() {
            if (failure != null) {
                throw new AssertionError("failed: " + failure.getMessage() + "; printed: " + printed, failure);
            }
            return printed;
        }

        String failed() {
            if (failure == null) {
                throw new AssertionError("must fail, printed: " + printed);
            }
            String m = failure.getMessage();
            assertFalse("one line: " + m, m.contains("\n"));
            assertFalse(m, JAVA.matcher(m).find());
            return m;
        }
    }

    private Run run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = gogo.createSession(new ByteArrayInputStream(new byte[0]), o, o);
        try {
            Object result = session.execute(command);
            if (result != null) {
                o.print(session.format(result, Converter.INSPECT));
            }
            return new Run(out.toString(StandardCharsets.UTF_8).strip(), null);
        } catch (Exception e) {
            return new Run(out.toString(StandardCharsets.UTF_8).strip(), e);
        } finally {
            session.close();
        }
    }

    private static Path dir() throws Exception {
        return Files.createDirectories(new File(System.getProperty("storage.itest.dir")).toPath());
    }

    private static byte[] sha256(Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    @Test
    public void aCleanVolumeAndImageThenADamagedNodeCopy() throws Exception {
        Path image = dir().resolve("check.img");
        Files.deleteIfExists(image);
        String uri = "file:" + image;
        run("storage:mkfs --size 32m " + uri + "; storage:mount c " + uri).ok();
        run("storage:io c /f 'pwrite 0 1m' fsync").ok();

        String mounted = run("storage:check c").ok();
        assertTrue(mounted, mounted.matches("clean: " + COUNTS));
        String json = run("storage:check --json c").ok();
        assertTrue(json, json.matches("\\{\"target\":\"c\",\"clean\":true,\"generation\":\\d+,.*\"note\":null,"
                + "\"problems\":\\[\\]\\}"));
        String byUri = run("storage:check " + uri).ok();
        assertTrue(byUri, byUri.matches("clean: " + COUNTS + "; " + Pattern.quote(uri) + " is mounted as c: its last "
                + "commit was checked"));
        run("storage:umount c").ok();

        byte[] before = sha256(image);
        String offline = run("storage:check " + uri).ok();
        assertTrue(offline, offline.matches("clean: " + COUNTS));
        assertArrayEquals("a check changes nothing", before, sha256(image));

        // one copy of a metadata node of the committed image, found through a read-only mount's reverse map
        run("storage:mount --ro c " + uri).ok();
        Volume v = manager.volume("c").orElseThrow();
        long node = -1;
        for (long b = 0; b < 2048 && node < 0; b++) {
            for (BlockOwner o : v.owners(b)) {
                if (o.kind() == BlockOwner.Kind.METADATA) {
                    node = b;
                }
            }
        }
        run("storage:umount c").ok();
        assertTrue("a metadata node in the first 8 MiB", node > 0);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            long at = node * 4096 + 2000;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }

        byte[] damaged = sha256(image);
        Run r = run("storage:check " + uri);
        assertEquals(uri + ": check found 1 problem", r.failed());
        String[] lines = r.printed().split("\n");
        assertEquals(r.printed(), 2, lines.length);
        assertTrue(lines[0], lines[0].contains("at block " + node + ": checksum mismatch (the other copy is good)"));
        assertTrue(lines[1], lines[1].matches("1 problem: " + COUNTS));
        Run j = run("storage:check --json " + uri);
        assertEquals(uri + ": check found 1 problem", j.failed());
        assertTrue(j.printed(), j.printed().matches("\\{\"target\":\"" + Pattern.quote(uri) + "\",\"clean\":false,.*"
                + "\"problems\":\\[\"[^\"]*the other copy is good\\)\"\\]\\}"));
        assertArrayEquals("a check changes nothing, also when it finds problems", damaged, sha256(image));
    }

    @Test
    public void badInputIsOneClearLine() throws Exception {
        assertEquals("no volume named nosuch is mounted, and nosuch is not a device URI (such as file:vol.img); "
                + "storage:volumes lists the volumes", run("storage:check nosuch").failed());
        assertTrue(run("storage:check nbd:x").failed().contains("nbd"));
        Path missing = dir().resolve("no-such-image.img");
        Files.deleteIfExists(missing);
        assertTrue(run("storage:check file:" + missing).failed().contains(missing.toString()));
        Path zeros = dir().resolve("zeros.img");
        Files.write(zeros, new byte[4 << 20]);
        String notAVolume = run("storage:check file:" + zeros).failed();
        assertTrue(notAVolume, notAVolume.startsWith("file:" + zeros + ": "));
        assertFalse(Files.exists(missing));
        assertNull(manager.volume("nosuch").orElse(null));
    }
}
