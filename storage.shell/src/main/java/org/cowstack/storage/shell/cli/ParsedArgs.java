package org.cowstack.storage.shell.cli;

import java.util.List;
import java.util.Map;

/** A command line read by {@link CommandSpec#parse}: the options given and the positional arguments. */
public final class ParsedArgs {
    private final CommandSpec spec;
    private final Map<String, String> options;
    private final List<String> arguments;

    ParsedArgs(CommandSpec spec, Map<String, String> options, List<String> arguments) {
        this.spec = spec;
        this.options = Map.copyOf(options);
        this.arguments = List.copyOf(arguments);
    }

    public CommandSpec spec() {
        return spec;
    }

    /** Whether a flag (or an option) was given. */
    public boolean has(String option) {
        known(option);
        return options.containsKey(option);
    }

    /** The value of an option, or {@code absent} when it was not given. */
    public String option(String option, String absent) {
        known(option);
        return options.getOrDefault(option, absent);
    }

    /** {@code --json} was given. */
    public boolean json() {
        return options.containsKey("--json");
    }

    /** Positional argument {@code index}, from 0. */
    public String arg(int index) {
        return arguments.get(index);
    }

    /** Positional argument {@code index}, or {@code absent} when fewer were given. */
    public String arg(int index, String absent) {
        return index < arguments.size() ? arguments.get(index) : absent;
    }

    public int count() {
        return arguments.size();
    }

    /** The positional arguments from {@code index} on. */
    public List<String> from(int index) {
        return arguments.subList(Math.min(index, arguments.size()), arguments.size());
    }

    private void known(String option) {
        if (spec.option(option).isEmpty()) {
            throw new IllegalStateException(spec.scoped() + " declares no option " + option);
        }
    }
}
