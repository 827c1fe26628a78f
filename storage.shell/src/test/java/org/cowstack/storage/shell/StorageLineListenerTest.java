package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.StorageLineListener.Line;
import org.cowstack.storage.shell.StorageLineListener.Statement;
import org.cowstack.storage.shell.cli.UsageException;
import org.junit.jupiter.api.Test;

class StorageLineListenerTest {
    private final StorageLineListener listener = new StorageLineListener();

    private static Set<String> commands() {
        Set<String> c = new LinkedHashSet<>(List.of("felix:ls", "felix:lb", "gogo:grep"));
        for (var spec : Commands.ALL) {
            c.add(spec.scoped());
        }
        return c;
    }

    @Test
    void linesAreReadAsGogoSplitsThem() {
        List<Statement> s = Line.scan("storage:mkfs --size 16m file:/x/v.img?direct=true; lb | grep 'a*'\n"
                + "storage:io v /f \"pwrite 0 4k\" # comment ?\nstorage:ls v //dir ; more\nstorage:ls v // a comment");
        assertEquals(6, s.size(), s.toString());
        assertEquals(List.of("storage:mkfs", "--size", "16m", "file:/x/v.img?direct=true"), s.get(0).words());
        assertTrue(s.get(0).globs());
        assertEquals(List.of("lb"), s.get(1).words());
        assertFalse(s.get(2).globs(), "quoted globs are not globbed: " + s.get(2));
        assertFalse(s.get(3).globs(), "nor comments");
        assertEquals(List.of("storage:ls", "v"), s.get(4).words());
        assertEquals("//dir", s.get(4).comment(), "a path lost to a comment");
        assertEquals(List.of("storage:ls", "v"), s.get(5).words());
        assertNull(s.get(5).comment());
        assertNull(Line.scan("storage:ls v // a comment").get(0).comment(), "a comment as people write one");
        assertNull(Line.scan("storage:mount v file://host/x").get(0).comment(), "// inside a word");
        assertEquals(List.of("storage:volumes"), Line.scan("(storage:volumes) get 0").get(0).words());
        assertFalse(Line.scan("storage:ls v '/a*' \"/b?\" /c\\*").get(0).globs());
        assertTrue(Line.scan("storage:mkfs --label a(b) mem:x").get(0).globs());
        assertFalse(Line.scan("storage:mkfs --label $(echo x) mem:x").get(0).globs());
    }

    private static CommandSession session(Object scope) {
        return Sessions.with(scope == null ? Map.of(".commands", commands())
                : Map.of(".commands", commands(), "SCOPE", scope));
    }

    @Test
    void storageCommandsAreKnownScopedOrAsTheScopePathResolvesThem() {
        CommandSession console = session("storage:gogo:*");
        assertEquals("storage:ls", StorageLineListener.storageCommand(console, "ls"));
        assertEquals("storage:mkfs", StorageLineListener.storageCommand(console, "storage:mkfs"));
        assertNull(StorageLineListener.storageCommand(console, "felix:ls"));
        assertNull(StorageLineListener.storageCommand(console, "lb"));
        assertNull(StorageLineListener.storageCommand(session("felix:*"), "ls"), "felix first: felix:ls");
        assertNull(StorageLineListener.storageCommand(console, "storage:nosuch"));
    }

    @Test
    void globbingIsOffWhileALineOfStorageCommandsRunsAndRestoredAfter() {
        CommandSession s = session("storage:gogo:*");
        listener.beforeExecute(s, "storage:mount v file:/x/v.img?direct=true");
        assertEquals(Boolean.TRUE, s.get(StorageLineListener.NO_GLOB));
        listener.afterExecute(s, "storage:mount v file:/x/v.img?direct=true", (Object) null);
        assertNull(s.get(StorageLineListener.NO_GLOB), "as before");

        s.put(StorageLineListener.NO_GLOB, "off");
        listener.beforeExecute(s, "mkfs mem:a?b");
        listener.afterExecute(s, "mkfs mem:a?b", new Exception("failed"));
        assertEquals("off", s.get(StorageLineListener.NO_GLOB), "the session's own setting comes back");
        s.put(StorageLineListener.NO_GLOB, null);

        listener.beforeExecute(s, "storage:ls v /a*; lb *.jar");
        assertNull(s.get(StorageLineListener.NO_GLOB), "another command globs in the line: Gogo's rules");
        listener.afterExecute(s, "", (Object) null);

        listener.beforeExecute(s, "storage:ls v /; lb *.jar");
        assertNull(s.get(StorageLineListener.NO_GLOB), "nothing of storage globs");
        listener.afterExecute(s, "", (Object) null);
    }

    @Test
    void aPathLostToACommentMakesTheCommandSaySo() throws Exception {
        CommandSession s = session("storage:gogo:*");
        listener.beforeExecute(s, "storage:rm v //a/b; storage:ls v");
        assertEquals(List.of("storage:rm", "1", "//a/b"), s.get(Invocation.DROPPED));
        UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> new FileCommands().rm(s, "v"));
        assertEquals("storage:rm: //a/b starts a Gogo comment, so it and the rest of the line were ignored; write "
                + "the path with one / (/a/b) or quote it ('//a/b'); usage: storage:rm NAME PATH", e.getMessage());
        listener.afterExecute(s, "", e);
        assertNull(s.get(Invocation.DROPPED));

        listener.beforeExecute(s, "ls v //dir");
        org.junit.jupiter.api.Assertions.assertThrows(UsageException.class, () -> new FileCommands().ls(s, "v"),
                "ls would list / instead");
        listener.afterExecute(s, "", (Object) null);
    }
}
