package org.cowstack.storage.launcher.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lock across processes is tested on the exported jar (ExecutableJarIT); here its rules. */
class HomeLockTest {
    @TempDir
    Path home;

    @Test
    void theOwnerWritesItsPidAndASecondTakerIsToldWhoHasIt() throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        try (HomeLock lock = HomeLock.acquire(home)) {
            assertEquals(pid + "\n", Files.readString(home.resolve(HomeLock.NAME), StandardCharsets.US_ASCII));
            HomeLock.InUseException refused = assertThrows(HomeLock.InUseException.class, () -> HomeLock.acquire(home));
            assertEquals("STORAGE_HOME " + home + " is in use by process " + pid, refused.getMessage());
            assertEquals(pid + "\n", Files.readString(home.resolve(HomeLock.NAME), StandardCharsets.US_ASCII),
                    "the refused taker wrote nothing");
        }
        try (HomeLock again = HomeLock.acquire(home)) {
            assertEquals(pid + "\n", Files.readString(home.resolve(HomeLock.NAME), StandardCharsets.US_ASCII),
                    "released with its owner, taken again");
        }
    }

    @Test
    void aStalePidFromAnEndedOwnerIsReplaced() throws Exception {
        Files.writeString(home.resolve(HomeLock.NAME), "999999999999\nleft over by a crash\n");
        try (HomeLock lock = HomeLock.acquire(home)) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(home.resolve(HomeLock.NAME)));
        }
    }

    @Test
    void homeIsThePropertyThenTheEnvironmentThenDataInTheWorkingDirectory() {
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(Path.of("/srv/a"), Main.home("/srv/a", "/srv/b"));
        assertEquals(Path.of("/srv/b"), Main.home(null, "/srv/b"));
        assertEquals(Path.of("/srv/b"), Main.home(" ", "/srv/b/"));
        assertEquals(cwd.resolve("data"), Main.home(null, null));
        assertEquals(cwd.resolve("rel"), Main.home(null, "./rel"));
    }
}
