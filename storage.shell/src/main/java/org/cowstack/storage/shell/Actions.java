package org.cowstack.storage.shell;

import java.util.List;
import java.util.Map;

import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.cowstack.storage.shell.cli.UsageException;

/**
 * The first argument of a command made of actions ({@code storage:nbd export|list|stop},
 * {@code storage:s3 stores|add|remove}): checks it names an action, that the arguments
 * after it are as many as the action takes, and that each option given is one of the
 * action's.
 */
final class Actions {
    private final CommandSpec spec;
    /** Each action with the arguments it takes, such as {@code "NAME PATH"}. */
    private final Map<String, String> takes;
    /** Options that belong to one action, each with that action. */
    private final Map<String, String> optionOf;

    Actions(CommandSpec spec, Map<String, String> takes, Map<String, String> optionOf) {
        this.spec = spec;
        this.takes = takes;
        this.optionOf = optionOf;
    }

    /** The options in {@code options} all belong to {@code action}. */
    static Map<String, String> only(String action, List<String> options) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        options.forEach(o -> out.put(o, action));
        return out;
    }

    /** The action {@code a} asks for, its arguments and options checked. */
    String check(ParsedArgs a) {
        String action = a.arg(0);
        if (!takes.containsKey(action)) {
            throw spec.error("unknown action " + action + "; the actions are " + String.join(", ", takes.keySet()));
        }
        String args = takes.get(action);
        int wanted = 1 + (args.isEmpty() ? 0 : args.split(" ").length);
        if (a.count() != wanted) {
            throw error(action, "expected " + (wanted - 1) + (wanted == 2 ? " argument" : " arguments")
                    + " after " + action + ", got " + (a.count() - 1));
        }
        for (Map.Entry<String, String> o : optionOf.entrySet()) {
            if (a.has(o.getKey()) && !action.equals(o.getValue())) {
                throw error(action, "option " + o.getKey() + " is for " + o.getValue() + " only");
            }
        }
        return action;
    }

    /** A usage error of one action, with the action's shape. */
    UsageException error(String action, String what) {
        String args = takes.get(action);
        return spec.error(what + " (" + spec.scoped() + " " + action + (args.isEmpty() ? "" : " " + args) + ")");
    }
}
