package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * File mappings (issue 19) through real Gogo sessions: {@code storage:io}'s mmap, mread,
 * mwrite, msync and munmap on a reflinked clone, on {@code dax:} (views of device memory)
 * and {@code mem:} (views of the cache). A store through the clone's mapping copies the
 * shared block for the clone only: the source keeps its bytes and its extents, the clone's
 * block moves, and both survive an unmount. Bad input is answered in one line.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MappingIT {
    private static final int MIB = 1 << 20;

    @Inject
    private CommandProcessor gogo;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return StorageStack.options();
    }

    private String session(String command) throws Exception {
        return new InFramework(context, gogo).session(command);
    }

    private String failure(String command) throws Exception {
        String m = new InFramework(context, gogo).failure(command);
        System.out.println("MappingIT: " + command + "\n  -> " + m);
        return m;
    }

    /** The physical address of file offset {@code offset} in fiemap output; -1 in a hole. */
    private static long physicalAt(String fiemap, long offset) {
        for (String line : fiemap.split("\n")) {
            String[] f = line.trim().split(" ");
            long logical = Long.parseLong(f[0]);
            long length = Long.parseLong(f[1]);
            if (offset >= logical && offset < logical + length) {
                return "-".equals(f[2]) ? -1 : Long.parseLong(f[2]) + (offset - logical);
            }
        }
        throw new AssertionError("offset " + offset + " is in no extent of\n" + fiemap);
    }

    /** The flags of the extent holding file offset {@code offset} in fiemap output. */
    private static String flagsAt(String fiemap, long offset) {
        for (String line : fiemap.split("\n")) {
            String[] f = line.trim().split(" ");
            long logical = Long.parseLong(f[0]);
            if (offset >= logical && offset < logical + Long.parseLong(f[1])) {
                return f[3];
            }
        }
        throw new AssertionError("offset " + offset + " is in no extent of\n" + fiemap);
    }

    /**
     * /a written with 0xab, /b its reflinked clone; a store of 0x11 at 4096+100 through
     * /b's writable mapping, then what each file holds and where, before and after a
     * remount.
     */
    private void storeThroughAClonesMapping(String name, String uri, String where) throws Exception {
        assertTrue(session("storage:mkfs --size 64m " + uri).startsWith("formatted " + uri));
        session("storage:mount " + name + " " + uri);
        assertEquals("wrote 1048576/1048576 bytes at offset 0",
                session("storage:io " + name + " /a 'pwrite -S 0xab 0 1m' fsync"));
        assertEquals("linked 1048576/1048576 bytes at offset 0",
                session("storage:io " + name + " /b 'reflink /a 0 0 0' fsync"));
        String aBefore = session("storage:io " + name + " /a fiemap");
        String bBefore = session("storage:io " + name + " /b fiemap");
        System.out.println("MappingIT " + uri + " fiemap /a before:\n" + aBefore + "\n/b before:\n" + bBefore);
        for (long off = 0; off < MIB; off += 4096) {
            assertEquals("the clone shares /a's block at " + off, physicalAt(aBefore, off), physicalAt(bBefore, off));
        }

        String mapped = session("storage:io " + name + " /b 'mmap -w 0 1m' mmap 'mread -P 0xab 0 1m' "
                + "'mwrite -S 0x11 4096 100' 'mread -P 0x11 4096 100' msync munmap");
        // silent as xfs_io, but the list of the mapping
        assertEquals("[000] rw- /b (0 : 1048576) " + where, mapped);

        for (int round = 0; round < 2; round++) {
            String when = round == 0 ? "after the store" : "after a remount";
            assertEquals(when, "read 1048576/1048576 bytes at offset 0",
                    session("storage:io " + name + " /a 'pread -P 0xab 0 1m'"));
            assertEquals(when, String.join("\n",
                    "read 4096/4096 bytes at offset 0",
                    "read 100/100 bytes at offset 4096",
                    "read 1044380/1044380 bytes at offset 4196"),
                    session("storage:io " + name + " /b 'pread -P 0xab 0 4096' 'pread -P 0x11 4096 100' "
                            + "'pread -P 0xab 4196 1044380'"));
            // and the same through a read-only mapping of each
            assertEquals(when, "",
                    session("storage:io " + name + " /a 'mmap 0 1m' 'mread -P 0xab 0 1m' munmap"));
            assertEquals(when, "00001000:  11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11  ................",
                    session("storage:io " + name + " /b 'mmap 0 1m' 'mread -P 0xab 0 4096' 'mread -P 0x11 4096 100' "
                            + "'mread -P 0xab 4196 1044380' 'mread -v 4096 16'"));

            String aAfter = session("storage:io " + name + " /a fiemap");
            String bAfter = session("storage:io " + name + " /b fiemap");
            System.out.println("MappingIT " + uri + " fiemap " + when + " /a:\n" + aAfter + "\n/b:\n" + bAfter);
            // /a's text changes (its extent splits at the copied block, which is no longer
            // shared), its addresses do not
            for (long off = 0; off < MIB; off += 4096) {
                String shared = off == 4096 ? "-" : "shared";
                assertEquals(when + ": /a's flags at " + off + " in\n" + aAfter, shared, flagsAt(aAfter, off));
                assertEquals(when + ": /b's flags at " + off + " in\n" + bAfter, shared, flagsAt(bAfter, off));
                assertEquals(when + ": /a's block at " + off + " stays where it was", physicalAt(aBefore, off),
                        physicalAt(aAfter, off));
                if (off == 4096) {
                    assertNotEquals(when + ": /b's stored block moved", physicalAt(aBefore, off),
                            physicalAt(bAfter, off));
                    assertTrue(when + ": /b's stored block is allocated", physicalAt(bAfter, off) >= 0);
                } else {
                    assertEquals(when + ": /b still shares /a's block at " + off, physicalAt(aBefore, off),
                            physicalAt(bAfter, off));
                }
            }
            if (round == 0) {
                session("storage:umount " + name);
                session("storage:mount " + name + " " + uri);
            }
        }
        session("storage:umount " + name);
    }

    @Test
    public void aStoreThroughAClonesMappingOnDaxCopiesTheSharedBlockOnly() throws Exception {
        Path dir = Files.createTempDirectory("mappingit");
        try {
            storeThroughAClonesMapping("dx", "dax:" + dir.resolve("map.img"), "device memory");
        } finally {
            try {
                session("storage:umount dx"); // when an assertion left it mounted
            } catch (Exception unmountedAlready) {
                // the scenario's own umount ran
            }
            Files.deleteIfExists(dir.resolve("map.img"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    public void aStoreThroughAClonesMappingOnMemCopiesTheSharedBlockOnly() throws Exception {
        storeThroughAClonesMapping("mm", "mem:mapping", "cache");
    }

    @Test
    public void badMappingInputIsOneClearLine() throws Exception {
        session("storage:mkfs --size 16m mem:mapbad; storage:mount mb mem:mapbad");
        session("storage:io mb /a 'pwrite 0 1m' fsync");

        assertTrue(failure("storage:io mb /a 'mread 0 1'").contains("mread: nothing is mapped; mmap OFF LEN first"));
        assertTrue(failure("storage:io mb /a 'mwrite 0 1'").contains("mwrite: nothing is mapped"));
        assertTrue(failure("storage:io mb /a msync").contains("msync: nothing is mapped"));
        assertTrue(failure("storage:io mb /a munmap").contains("munmap: nothing is mapped"));
        assertTrue(failure("storage:io mb /a 'mmap 0 4k' 'mwrite 0 1'").contains("read-only"));
        String past = failure("storage:io mb /a 'mmap -w 0 2m' 'mwrite 1m 1'");
        assertTrue(past, past.contains("1048576+1") && past.contains("1048576 bytes"));
        String outside = failure("storage:io mb /a 'mmap -w 0 4k' 'mwrite 4k 1'");
        assertTrue(outside, outside.contains("4096+1") && outside.contains("0+4096"));
        assertTrue(failure("storage:io mb /a 'mmap 0 4k' 'msync 0'")
                .contains("msync: give OFF and LEN, or neither"));
        assertTrue(failure("storage:io mb /a 'mmap 0 0'").contains("map length"));
        String pattern = failure("storage:io mb /a 'mmap 0 4k' 'mread -P 0x1ff 0 1'");
        assertTrue(pattern, pattern.contains("0x1ff") && pattern.contains("0..255"));
        String differs = failure("storage:io mb /a 'mmap 0 1m' 'mread -P 0xab 0 1m'");
        assertTrue(differs, differs.contains("mread: byte at offset 0 is 0xcd, expected 0xab"));
        // nothing was stored by any of them
        assertEquals("read 1048576/1048576 bytes at offset 0", session("storage:io mb /a 'pread -P 0xcd 0 1m'"));

        session("storage:umount mb");
        session("storage:mount --ro mb mem:mapbad");
        assertTrue(failure("storage:io mb /a 'mmap -w 0 4k'").contains("read-only"));
        assertEquals("[000] r-- /a (0 : 4096) cache", session("storage:io mb /a 'mmap 0 4k' 'mread -P 0xcd 0 4k' mmap"));
        session("storage:umount mb");
    }

    @Test
    public void theCacheAfterReadingEightClonesThroughMappings() throws Exception {
        session("storage:mkfs --size 64m mem:mapcache; storage:mount mc mem:mapcache");
        session("storage:io mc /src 'pwrite -S 0x5a 0 1m' fsync");
        for (int i = 0; i < 8; i++) {
            session("storage:io mc /c" + i + " 'reflink /src 0 0 0' fsync");
        }
        for (int i = 0; i < 8; i++) {
            assertEquals("", session("storage:io mc /c" + i + " 'mmap 0 1m' 'mread -P 0x5a 0 1m' munmap"));
        }
        // another change decides what the cache holds for shared blocks: only shown here
        System.out.println("MappingIT storage:cache after 8 clones read through mappings:\n"
                + session("storage:cache mc"));
        session("storage:umount mc");
    }
}
