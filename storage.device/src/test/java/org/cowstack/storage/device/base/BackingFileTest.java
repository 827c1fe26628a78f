package org.cowstack.storage.device.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The translation of a refused permission, at the one place image files are opened
 * ({@link BackingFile#denied}); {@code FileDeviceTest} and {@code DaxDeviceTest} see it
 * through their providers where the host refuses something for real.
 */
class BackingFileTest {
    @Test
    void aRefusalOfTheImageSaysPermissionDeniedAndNamesIt() {
        AccessDeniedException jdk = new AccessDeniedException("/data/v.img");
        assertEquals("/data/v.img", jdk.getMessage(), "what the JDK says: only the path");
        IOException e = BackingFile.denied(jdk, Path.of("/data/v.img"));
        assertInstanceOf(AccessDeniedException.class, e);
        assertEquals("/data/v.img: permission denied", e.getMessage());
        assertEquals("/data/v.img", ((AccessDeniedException) e).getFile());
        assertNull(((AccessDeniedException) e).getOtherFile());
        assertSame(jdk, e.getCause());
    }

    @Test
    void theImageIsNamedAsGivenAndTheRefusedFileWhenItIsAnother() {
        Path relative = Path.of("images/v.img");
        assertEquals("images/v.img: permission denied", BackingFile.denied(
                new AccessDeniedException(relative.toAbsolutePath().toString()), relative).getMessage());
        assertEquals("/data/new/v.img: permission denied (/data/new)", BackingFile.denied(
                new AccessDeniedException("/data/new"), Path.of("/data/new/v.img")).getMessage());
    }

    @Test
    void otherFailuresPassAsTheyAre() {
        AccessDeniedException worded = new AccessDeniedException("/data/v.img", null, "locked by policy");
        assertSame(worded, BackingFile.denied(worded, Path.of("/data/v.img")));
        NoSuchFileException missing = new NoSuchFileException("/data/v.img");
        assertSame(missing, BackingFile.denied(missing, Path.of("/data/v.img")));
    }
}
