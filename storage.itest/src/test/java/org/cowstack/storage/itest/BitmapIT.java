package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;

/**
 * The seed's scenario (qemu's bug) through the Gogo commands in real Felix: a persistent
 * qemu-mode bitmap, a write, {@code remount --ro}, {@code remount --rw}, a write that
 * succeeds and is recorded (qemu aborted here); then a crash image of the volume while
 * the bitmap is loaded writable: it mounts with the bitmap inconsistent, writes go on,
 * every use but remove is refused with qemu's sentence, remove works. A transactional
 * bitmap in the same crash image is exact. Then a full and an incremental backup through
 * {@code storage:backup} restored by {@code storage:restore}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class BitmapIT {
    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor gogo;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private String session(String command) throws Exception {
        return new InFramework(context, gogo).session(command);
    }

    private String refused(String command) throws Exception {
        try {
            String out = session(command);
            fail(command + " was not refused: " + out);
            return null;
        } catch (Exception e) {
            assertFalse(e.getMessage(), e.getMessage().contains("\n"));
            return e.getMessage();
        }
    }

    @Test
    public void theSeedScenarioThroughTheShell() throws Exception {
        Path dir = Files.createDirectories(new File(System.getProperty("storage.itest.dir")).toPath()
                .resolve("bitmap"));
        Path image = dir.resolve("seed.img");
        Path crash = dir.resolve("crash.img");
        for (Path p : new Path[] {image, crash, dir.resolve("full"), dir.resolve("full.manifest"),
            dir.resolve("inc"), dir.resolve("inc.manifest")}) {
            Files.deleteIfExists(p);
        }
        // no background commit while the crash image is copied
        session("storage:mkfs --size 64m file:" + image + "; storage:mount --commit-interval 1h s file:" + image);
        session("storage:io s /vm.img 'pwrite 0 1m' fsync");
        assertTrue(session("storage:bitmap add --mode qemu s /vm.img b").contains("qemu"));
        session("storage:bitmap add s /vm.img t");
        session("storage:io s /vm.img 'pwrite 128k 4k'");
        assertEquals("131072 65536", session("storage:bitmap dump s /vm.img b"));

        session("storage:remount --ro s");
        String list = session("storage:bitmap list s /vm.img");
        assertTrue(list, java.util.regex.Pattern.compile("(?m)^b +64K +65536 +qemu +recording,persistent,readonly$").matcher(list).find());
        assertEquals("Bitmap 'b' is readonly and cannot be modified", refused("storage:bitmap clear s /vm.img b"));
        session("storage:remount --rw s");
        // qemu aborted at the next guest write: here it succeeds and is recorded
        session("storage:io s /vm.img 'pwrite 512k 4k' fsync");
        assertEquals("131072 65536\n524288 65536", session("storage:bitmap dump s /vm.img b"));
        assertEquals("131072 65536\n524288 65536", session("storage:bitmap dump s /vm.img t"));

        // The machine dies with the qemu bitmap loaded writable: the image as it is now.
        Files.copy(image, crash, StandardCopyOption.REPLACE_EXISTING);
        session("storage:umount s");
        session("storage:mount c file:" + crash);
        list = session("storage:bitmap list c /vm.img");
        assertTrue(list, java.util.regex.Pattern.compile("(?m)^b +64K +\\d+ +qemu +[a-z,]*inconsistent[a-z,]*$").matcher(list).find());
        assertTrue(list, java.util.regex.Pattern.compile("(?m)^t +64K +131072 +transactional +recording,persistent$").matcher(list).find());
        assertEquals("131072 65536\n524288 65536", session("storage:bitmap dump c /vm.img t"));
        session("storage:io c /vm.img 'pwrite 0 4k' fsync"); // writes go on
        String inconsistent = "Bitmap 'b' is inconsistent and cannot be used; try storage:bitmap remove to delete "
                + "this bitmap";
        assertEquals(inconsistent, refused("storage:bitmap clear c /vm.img b"));
        assertEquals(inconsistent, refused("storage:bitmap enable c /vm.img b"));
        assertEquals(inconsistent, refused("storage:bitmap merge c /vm.img b t"));
        assertEquals(inconsistent, refused("storage:backup c /vm.img --bitmap b --to file:" + dir.resolve("x")));
        assertFalse(Files.exists(dir.resolve("x")));
        session("storage:bitmap remove c /vm.img b");
        assertEquals("Dirty bitmap 'b' not found", refused("storage:bitmap dump c /vm.img b"));

        // Backups through the shell: full, a write, incremental, restore.
        assertTrue(session("storage:backup c /vm.img --bitmap t --sync full --to file:" + dir.resolve("full"))
                .startsWith("backed up 1048576 of 1048576 bytes"));
        session("storage:io c /vm.img 'pwrite -S 0x5a 200k 8k' fsync");
        assertTrue(session("storage:backup c /vm.img --bitmap t --to file:" + dir.resolve("inc"))
                .startsWith("backed up 65536 of 1048576 bytes (1 range, bitmap by bitmap t)"));
        assertTrue(session("storage:restore c /copy.img file:" + dir.resolve("full") + " file:" + dir.resolve("inc"))
                .startsWith("restored c:/copy.img (1048576 bytes) from 2 images"));
        String md5 = session("storage:io c /vm.img md5sum");
        assertEquals(md5.replace("/vm.img", "/copy.img"), session("storage:io c /copy.img md5sum"));
        session("storage:umount c");
    }
}
