package org.cowstack.storage.device.base;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files and directories the host really refuses, for tests of permission messages, on
 * any user: tests run as root here and in CI, and root passes file modes.
 */
public final class HostRefusals {
    private HostRefusals() {
    }

    /**
     * An existing file the host refuses to open for writing, or null. Not as root: a
     * read-only file in {@code dir}. As root, whom file modes do not stop: a sysctl file
     * that is read-only (procfs checks its mode even for root; EACCES).
     */
    public static Path unwritableFile(Path dir) throws IOException {
        Path file = dir.resolve("read-only.img");
        Files.write(file, new byte[4096]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        if (refusesWriting(file)) {
            return file;
        }
        Path sysctl = Path.of("/proc/sys/kernel/version");
        return Files.isRegularFile(sysctl) && refusesWriting(sysctl) ? sysctl : null;
    }

    /**
     * A directory the host refuses to create files in, or null. Not as root: a read-only
     * directory in {@code dir}. As root: sysfs, which creates no files for anyone (EACCES).
     */
    public static Path unwritableDirectory(Path dir) throws IOException {
        Path ro = dir.resolve("read-only");
        Files.createDirectories(ro);
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (refusesCreating(ro)) {
            return ro;
        }
        Path sys = Path.of("/sys/kernel");
        return Files.isDirectory(sys) && refusesCreating(sys) ? sys : null;
    }

    private static boolean refusesWriting(Path file) {
        try {
            FileChannel.open(file, StandardOpenOption.WRITE).close(); // nothing written
            return false;
        } catch (AccessDeniedException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean refusesCreating(Path dir) {
        Path probe = dir.resolve("cowstack-probe-" + ProcessHandle.current().pid());
        try {
            Files.createFile(probe);
            Files.delete(probe);
            return false;
        } catch (AccessDeniedException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
