package org.cowstack.storage.shell;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.osgi.service.component.annotations.Component;

/**
 * {@code storage:help}: the storage commands grouped, each with its one-line description;
 * one command's usage, options and arguments; any other topic handed to Gogo's own help.
 *
 * <p>The console profile sets {@code SCOPE = 'storage:gogo:*'}, and Gogo resolves an
 * unscoped name along that path, so {@code help} is this command there; {@code felix:help}
 * (gogo.command) and {@code gogo:help} (gogo.jline) stay reachable by their scoped names,
 * and this one hands them every topic that is not a storage command.
 */
@Component(service = HelpCommand.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"help"})
public final class HelpCommand {
    /** Gogo's helps, tried in this order for topics that are not storage commands. */
    private static final List<String> GOGO_HELPS = List.of("felix:help", "gogo:help");

    @Descriptor(Commands.HELP_TEXT)
    public Object help(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws Exception {
        ParsedArgs a = Invocation.parse(Commands.HELP, session, args);
        if (a.count() == 0) {
            return overview();
        }
        String topic = a.arg(0);
        Optional<CommandSpec> spec = Commands.find(topic);
        if (spec.isPresent()) {
            return describe(spec.get());
        }
        if (topic.startsWith(Commands.SCOPE + ":")) {
            throw new IllegalArgumentException("help: there is no command " + topic + "; 'help' lists the storage "
                    + "commands");
        }
        return gogo(session, topic);
    }

    /** Every storage command by group, then where Gogo's own commands are described. */
    static String overview() {
        int width = 0;
        for (CommandSpec c : Commands.ALL) {
            width = Math.max(width, c.scoped().length());
        }
        StringBuilder h = new StringBuilder("storage commands ('help storage:NAME' describes one; in the console the "
                + "storage: prefix may be left out):\n");
        for (String group : Commands.GROUPS) {
            List<CommandSpec> in = Commands.group(group);
            if (in.isEmpty()) {
                continue;
            }
            h.append('\n').append(group).append(":\n");
            for (CommandSpec c : in) {
                h.append(String.format(Locale.ROOT, "  %-" + width + "s  %s", c.scoped(), c.description()))
                        .append('\n');
            }
        }
        h.append("\nGogo's own commands (lb, start, stop, update, inspect, log, scr:list, ...): 'felix:help' lists "
                + "them, 'help NAME' describes one.");
        return h.toString();
    }

    /** One command: description, usage, options, arguments; io adds its sub-commands. */
    static String describe(CommandSpec spec) {
        String text = spec.help();
        if (spec == Commands.IO) {
            text += "\n" + IoScript.help();
        }
        return text;
    }

    /** Gogo's help on a topic that is not a storage command, or one line saying there is no such command. */
    private static Object gogo(CommandSession session, String topic) throws Exception {
        if (session == null || !known(session, topic)) {
            throw new IllegalArgumentException("help: there is no command " + topic + "; 'help' lists the storage "
                    + "commands, 'felix:help' all of them");
        }
        for (String name : GOGO_HELPS) {
            Object help = session.get(name);
            if (help instanceof Function) {
                return ((Function) help).execute(session, List.of(topic));
            }
        }
        throw new IllegalArgumentException("help: " + topic + " is a Gogo command, and no Gogo help is installed "
                + "(bundle org.apache.felix.gogo.command)");
    }

    /** Whether Gogo has a command of that name, scoped or in any scope. */
    private static boolean known(CommandSession session, String topic) {
        Object commands = session.get(".commands");
        if (!(commands instanceof Set)) {
            return true; // cannot tell: let Gogo's help answer
        }
        String name = topic.toLowerCase(Locale.ROOT);
        for (Object c : (Set<?>) commands) {
            String command = String.valueOf(c);
            if (name.indexOf(':') >= 0 ? command.equals(name) : command.endsWith(":" + name)) {
                return true;
            }
        }
        return false;
    }
}
