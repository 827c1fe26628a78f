package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

import org.cowstack.storage.api.volume.DirEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Paths behave as on Linux (each case checked with the coreutils and open(2), rename(2),
 * unlink(2), rmdir(2) on ext4, kernel 6.18): a trailing slash says the path names a
 * directory, so on a file it is refused with ENOTDIR ({@link NotDirectoryException}
 * naming the path as typed) and on a directory it changes nothing; {@code //} and
 * repeated slashes are one slash.
 */
class PathRulesTest {
    private final Volumes volumes = Volumes.mem();
    private CowVolume v;

    @BeforeEach
    void volumeWithAFileAndADirectory() throws IOException {
        v = volumes.fresh(URI.create("mem:pathrules"), 16 << 20);
        v.mkdir("/d");
        Volumes.write(v, "/f", 0, "data".getBytes());
    }

    @AfterEach
    void unmount() throws IOException {
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    private List<String> root() throws IOException {
        return v.list("/").stream().map(DirEntry::name).collect(Collectors.toList());
    }

    /** Fails with ENOTDIR naming {@code typed}, and leaves the namespace as it was. */
    private void notDirectory(String typed, Executable call) throws IOException {
        List<String> before = root();
        NotDirectoryException e = assertThrows(NotDirectoryException.class, call);
        assertEquals(typed, e.getFile());
        assertEquals(before, root());
        assertArrayEquals("data".getBytes(), Volumes.readAll(v, "/f"));
    }

    @Test
    void aTrailingSlashOnAFileIsNotADirectory() throws IOException {
        notDirectory("/f/", () -> v.stat("/f/"));                      // stat /tmp/pt/f/
        notDirectory("/f/", () -> v.list("/f/"));                      // ls /tmp/pt/f/
        notDirectory("/f/", () -> v.delete("/f/"));                    // rm /tmp/pt/f/
        notDirectory("/f/", () -> v.rename("/f/", "/g"));              // mv /tmp/pt/f/ /tmp/pt/g
        notDirectory("/g/", () -> v.rename("/f", "/g/"));              // mv /tmp/pt/f /tmp/pt/g/
        notDirectory("/f/", () -> v.rename("/f/", "/g/"));
        notDirectory("/f/", () -> v.rename("/f", "/f/"));              // rename(2) checks before "same file"
        notDirectory("/f/", () -> v.rename("/f/", "/f"));
        notDirectory("/f/", () -> v.open("/f/", EnumSet.of(StandardOpenOption.READ)));   // cat, xfs_io
        notDirectory("/f/", () -> v.open("/f/", Volumes.RW));          // xfs_io -f /tmp/pt/f/
        notDirectory("//f//", () -> v.stat("//f//"));
        notDirectory("/f/", () -> v.rename("/d", "/f/"));              // a directory over a file: ENOTDIR anyway
    }

    @Test
    void aTrailingSlashOnADirectoryChangesNothing() throws IOException {
        assertTrue(v.stat("/d/").directory());                         // stat /tmp/pt/d/
        assertEquals(List.of(), v.list("/d/"));                        // ls /tmp/pt/d/
        v.mkdir("/e/");                                                // mkdir /tmp/pt/e/
        assertTrue(v.stat("/e").directory());
        v.rename("/e/", "/g");                                         // mv /tmp/pt/e/ /tmp/pt/g
        v.rename("/g", "/h/");                                         // mv /tmp/pt/g /tmp/pt/h/
        v.rename("/h/", "/e/");
        assertEquals(List.of("d", "e", "f"), root());
        v.delete("/e/");                                               // rmdir /tmp/pt/e/
        assertEquals(List.of("d", "f"), root());
        v.delete("/d//");
        assertEquals(List.of("f"), root());
    }

    @Test
    void otherCasesAsLinuxAnswersThem() throws IOException {
        // mkdir /tmp/pt/f/ and mkdir /tmp/pt/d/: EEXIST, the name is taken whatever it is.
        assertThrows(FileAlreadyExistsException.class, () -> v.mkdir("/f/"));
        assertThrows(FileAlreadyExistsException.class, () -> v.mkdir("/d/"));
        // stat /tmp/pt/new/, open("new/", O_RDONLY), mv /tmp/pt/new/ /tmp/pt/g: ENOENT.
        assertThrows(NoSuchFileException.class, () -> v.stat("/new/"));
        assertThrows(NoSuchFileException.class, () -> v.open("/new/", EnumSet.of(StandardOpenOption.READ)));
        assertThrows(NoSuchFileException.class, () -> v.rename("/new/", "/g"));
        // open("new/", O_CREAT|O_RDWR), xfs_io -f /tmp/pt/new/: EISDIR, nothing created.
        FileSystemException created = assertThrows(FileSystemException.class, () -> v.open("/new/", Volumes.RW));
        assertEquals("/new/", created.getFile());
        assertEquals("is a directory", created.getReason());
        // open("d/", O_RDWR): EISDIR, as without the slash.
        FileSystemException dir = assertThrows(FileSystemException.class, () -> v.open("/d/", Volumes.RW));
        assertEquals("is a directory", dir.getReason());
        assertEquals(List.of("d", "f"), root());
        // ls /tmp/pt/f/x: ENOTDIR, as before.
        assertThrows(NotDirectoryException.class, () -> v.stat("/f/x"));
        // rename("f", "d/"): the target names the entry replaced, d itself (mv moves into
        // d, rename(2) does not); a file cannot take a name with a slash: ENOTDIR.
        notDirectory("/d/", () -> v.rename("/f", "/d/"));
        // rename("d", "d/") and rename("d/", "d"): the same directory, nothing to do.
        v.rename("/d", "/d/");
        v.rename("/d/", "/d");
    }

    @Test
    void doubleAndRepeatedSlashesAreOne() throws IOException {
        assertEquals(v.stat("/f").inode(), v.stat("//f").inode());     // stat //tmp//pt//f
        assertEquals(v.stat("/f").inode(), v.stat("///f").inode());
        Volumes.write(v, "//d//g", 0, "x".getBytes());
        assertArrayEquals("x".getBytes(), Volumes.readAll(v, "/d/g"));
        assertTrue(v.stat("//").directory());
        assertTrue(v.stat("///").directory());
        assertEquals(List.of("g"), v.list("//d//").stream().map(DirEntry::name).collect(Collectors.toList()));
        v.rename("//d//g", "/d///h");
        assertEquals(v.stat("/d/h").inode(), v.stat("/d//h").inode());
        v.delete("//d//h");
    }
}
