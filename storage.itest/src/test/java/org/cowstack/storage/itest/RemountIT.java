package org.cowstack.storage.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code storage:remount --ro} and {@code --rw} in real Felix: the mode changes without an
 * unmount, a file handle opened before survives both (refusing writes while the volume is
 * read-only, writing again after), nothing reaches the image while it is read-only, the
 * mode is recorded in the volume's configuration, and the data is there after the volume
 * is unmounted and mounted again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class RemountIT {
    private static final EnumSet<StandardOpenOption> RW = EnumSet.of(StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE);

    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor gogo;

    @Inject
    private VolumeManager manager;

    @Inject
    private ConfigurationAdmin configAdmin;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private String session(String command) throws Exception {
        return new InFramework(context, gogo).session(command);
    }

    private static ByteBuffer fill(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private ServiceReference<Volume> volumeService(String name) throws Exception {
        return context.getServiceReferences(Volume.class, "(" + Volume.PROP_NAME + "=" + name + ")").iterator().next();
    }

    private Object recordedReadOnly(String name) throws Exception {
        Configuration[] found = configAdmin.listConfigurations("(&(service.factoryPid="
                + VolumeManager.VOLUME_FACTORY_PID + ")(name=" + name + "))");
        assertNotNull("volume " + name + " is configured", found);
        assertEquals(1, found.length);
        return found[0].getProperties().get("readOnly");
    }

    @Test
    public void anOpenHandleSurvivesRemountReadOnlyAndBack() throws Exception {
        Path dir = Files.createDirectories(new File(System.getProperty("storage.itest.dir")).toPath());
        Path image = dir.resolve("remount.img");
        Files.deleteIfExists(image);
        String uri = "file:" + image;
        session("storage:mkfs --size 32m " + uri + "; storage:mount r " + uri);
        Volume v = manager.volume("r").orElseThrow();
        try (FileHandle f = v.open("/vm.img", RW)) {
            assertEquals(64 << 10, f.write(fill(64 << 10, 0x11), 0));

            assertEquals("remounted r read-only (READ_ONLY)", session("storage:remount --ro r"));
            assertEquals("READ_ONLY", volumeService("r").getProperty(Volume.PROP_STATE));
            assertTrue(session("storage:volumes").matches("(?s).*\\nr +file:\\S+ +READ_ONLY .*"));
            assertEquals(Boolean.TRUE, recordedReadOnly("r"));
            assertTrue("the same volume, not a new mount", manager.volume("r").orElseThrow() == v);
            byte[] onDisk = Files.readAllBytes(image);
            try {
                f.write(fill(4096, 0x22), 0);
                fail("a write through a handle while the volume is read-only");
            } catch (ReadOnlyException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("volume r"));
            }
            try {
                session("storage:io r /vm.img 'pwrite 0 4k'");
                fail("a write through the shell while the volume is read-only");
            } catch (ReadOnlyException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("/vm.img"));
            }
            f.fsync();
            assertArrayEquals("nothing reached the image", onDisk, Files.readAllBytes(image));
            ByteBuffer read = ByteBuffer.allocate(64 << 10);
            assertEquals(64 << 10, f.read(read, 0));
            assertArrayEquals("the data written before reads back", fill(64 << 10, 0x11).array(), read.array());

            assertEquals("remounted r read-write (MOUNTED)", session("storage:remount --rw r"));
            assertEquals(Boolean.FALSE, recordedReadOnly("r"));
            assertEquals("MOUNTED", volumeService("r").getProperty(Volume.PROP_STATE));
            assertEquals(4096, f.write(fill(4096, 0x33), 8192));
            f.fsync();
        }
        assertEquals("unmounted r", session("storage:umount r"));
        session("storage:mount r " + uri);
        byte[] expected = fill(64 << 10, 0x11).array();
        Arrays.fill(expected, 8192, 12288, (byte) 0x33);
        try (FileHandle f = manager.volume("r").orElseThrow().open("/vm.img", EnumSet.of(StandardOpenOption.READ))) {
            ByteBuffer all = ByteBuffer.allocate(64 << 10);
            assertEquals(64 << 10, f.read(all, 0));
            assertArrayEquals(expected, all.array());
        }
        session("storage:umount r");
    }

    @Test
    public void badRemountRequestsAreOneClearLineAndChangeNothing() throws Exception {
        session("storage:mkfs --size 16m mem:rm; storage:mount m mem:rm");
        String[][] bad = {{"storage:remount m", "give one of --ro, --rw and --refresh"},
            {"storage:remount --ro --rw m", "--ro and --rw exclude each other"},
            {"storage:remount --refresh --rw m", "--rw and --refresh exclude each other"}};
        for (String[] b : bad) {
            try {
                session(b[0]);
                fail(b[0]);
            } catch (IllegalArgumentException expected) {
                assertEquals("storage:remount: " + b[1] + "; usage: storage:remount --ro|--rw|--refresh NAME",
                        expected.getMessage());
            }
        }
        try {
            session("storage:remount --ro nosuch");
            fail("an unknown volume");
        } catch (NoSuchFileException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("nosuch"));
            assertFalse(expected.getMessage().contains("\n"));
        }
        assertEquals("MOUNTED", volumeService("m").getProperty(Volume.PROP_STATE));
        assertEquals("remounted m read-write (MOUNTED)", session("storage:remount --rw m"));
        session("storage:umount m");
    }
}
