package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Function;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.junit.jupiter.api.Test;

class HelpTest {
    private final HelpCommand help = new HelpCommand();

    @Test
    void helpListsEveryStorageCommandByGroupThenWhereGogosAre() throws Exception {
        String text = help.help(Sessions.empty()).toString();
        assertTrue(text.startsWith("storage commands ('help storage:NAME' describes one"), text);
        int at = 0;
        for (String group : Commands.GROUPS) {
            int g = text.indexOf("\n" + group + ":\n", at);
            assertTrue(g >= at, "group " + group + " in order:\n" + text);
            at = g;
            for (CommandSpec c : Commands.group(group)) {
                int line = text.indexOf("\n  " + c.scoped() + " ", g);
                assertTrue(line > g, c.scoped() + " under " + group);
                String row = text.substring(line + 1, text.indexOf('\n', line + 1));
                assertTrue(row.endsWith("  " + c.description()), row);
            }
        }
        assertTrue(text.endsWith("'felix:help' lists them, 'help NAME' describes one."), text);
    }

    @Test
    void helpOfOneCommandShowsUsageOptionsAndArguments() throws Exception {
        String mkfs = help.help(Sessions.empty(), "storage:mkfs").toString();
        assertEquals(mkfs, help.help(Sessions.empty(), "mkfs").toString(), "scoped or not");
        assertTrue(mkfs.startsWith("storage:mkfs - " + Commands.MKFS_TEXT + "\nusage: storage:mkfs [--csum NAME] "
                + "[--block-size SIZE] [--size SIZE] [--label L] [--data PROFILE] [--metadata PROFILE] URI\n"
                + "options:\n  --csum NAME "), mkfs);
        assertTrue(mkfs.contains("\narguments:\n  URI "), mkfs);
        String remount = help.help(Sessions.empty(), "remount").toString();
        assertTrue(remount.contains("usage: storage:remount --ro|--rw|--refresh NAME\n"), remount);
        assertTrue(help.help(Sessions.empty(), "storage:io").toString().contains("\nio commands "));
        assertTrue(help.help(Sessions.empty(), "help").toString().contains("usage: storage:help [COMMAND]"));
    }

    @Test
    void anUnknownCommandIsOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> help.help(Sessions.empty(), "storage:nosuch"));
        assertEquals("help: there is no command storage:nosuch; 'help' lists the storage commands", e.getMessage());
        IllegalArgumentException gogo = assertThrows(IllegalArgumentException.class,
                () -> help.help(Sessions.with(Map.of(".commands", Set.of("felix:lb"))), "nosuch"));
        assertEquals("help: there is no command nosuch; 'help' lists the storage commands, 'felix:help' all of them",
                gogo.getMessage());
    }

    @Test
    void otherTopicsGoToGogosHelp() throws Exception {
        Function felix = (session, args) -> "felix help of " + args;
        assertEquals("felix help of [lb]", help.help(Sessions.with(Map.of(".commands", Set.of("felix:lb", "felix:help"),
                "felix:help", felix)), "lb"));
        assertEquals("felix help of [felix:lb]", help.help(Sessions.with(Map.of(".commands",
                Set.of("felix:lb", "felix:help"), "felix:help", felix)), "felix:lb"));
        Function gogo = (session, args) -> "gogo help of " + args;
        assertEquals("gogo help of [grep]", help.help(Sessions.with(Map.of(".commands", Set.of("gogo:grep"),
                "gogo:help", gogo)), "grep"), "without gogo.command, gogo.jline's help");
        assertTrue(help.help(Sessions.with(Map.of(".commands", Set.of("felix:ls", "storage:ls"),
                "felix:help", felix)), "ls").toString().startsWith("storage:ls - "), "storage first, as SCOPE says");
        assertEquals(List.of(), List.of());
    }
}
