package org.cowstack.storage.shell.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One command, declared once: its name, a one-line description, its options and its
 * positional arguments with what each completes from. {@link #parse} reads a command line
 * by this declaration, {@link #usage()} and {@link #help()} print it, and completion walks
 * it; nothing else describes the command's syntax.
 *
 * <p>Options may stand anywhere before {@code --} (as GNU tools take them); a word such
 * as {@code -1} is a (negative) argument, not an option, so that the value check can name
 * it. Every mistake is a {@link UsageException} of one line: what was wrong, then
 * {@code usage: ...}.
 */
public final class CommandSpec {
    private final String scope;
    private final String name;
    private final String group;
    private final String description;
    private final List<OptionSpec> options;
    private final List<ArgSpec> arguments;
    private final List<List<String>> oneOf;
    private final List<String> notes;

    private CommandSpec(Builder b) {
        this.scope = b.scope;
        this.name = b.name;
        this.group = b.group;
        this.description = b.description;
        this.options = List.copyOf(b.options);
        this.arguments = List.copyOf(b.arguments);
        this.oneOf = List.copyOf(b.oneOf);
        this.notes = List.copyOf(b.notes);
    }

    /** Starts the declaration of {@code scope:name}. */
    public static Builder command(String scope, String name) {
        return new Builder(scope, name);
    }

    public String scope() {
        return scope;
    }

    public String name() {
        return name;
    }

    /** {@code scope:name}, as Gogo knows it. */
    public String scoped() {
        return scope + ":" + name;
    }

    /** The group {@code help} lists it in: {@code volumes}, {@code files}, ... */
    public String group() {
        return group;
    }

    /** One line: what the command does. */
    public String description() {
        return description;
    }

    public List<OptionSpec> options() {
        return options;
    }

    public List<ArgSpec> arguments() {
        return arguments;
    }

    /** Groups of flags of which exactly one must be given ({@code --ro|--rw}). */
    public List<List<String>> oneOf() {
        return oneOf;
    }

    /** Further paragraphs for {@code help}. */
    public List<String> notes() {
        return notes;
    }

    public Optional<OptionSpec> option(String optionName) {
        for (OptionSpec o : options) {
            if (o.name().equals(optionName)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /** The declaration of positional argument {@code index} (from 0): the repeated last one past its end. */
    public Optional<ArgSpec> argumentAt(int index) {
        if (index < 0) {
            return Optional.empty();
        }
        if (index < arguments.size()) {
            return Optional.of(arguments.get(index));
        }
        if (!arguments.isEmpty() && arguments.get(arguments.size() - 1).repeated()) {
            return Optional.of(arguments.get(arguments.size() - 1));
        }
        return Optional.empty();
    }

    public int minArguments() {
        int n = 0;
        for (ArgSpec a : arguments) {
            if (!a.optional()) {
                n++;
            }
        }
        return n;
    }

    /** {@link Integer#MAX_VALUE} when the last argument is repeated. */
    public int maxArguments() {
        if (!arguments.isEmpty() && arguments.get(arguments.size() - 1).repeated()) {
            return Integer.MAX_VALUE;
        }
        return arguments.size();
    }

    /**
     * Whether {@code word} is read as an option (before {@code --}): it starts with a dash and is
     * not a lone dash or a negative number.
     */
    public static boolean looksLikeOption(String word) {
        return word.length() > 1 && word.charAt(0) == '-' && !Character.isDigit(word.charAt(1));
    }

    /** The option name of an option word: {@code --csum} of {@code --csum=x}. */
    public static String optionName(String word) {
        int eq = word.indexOf('=');
        return word.startsWith("--") && eq > 2 ? word.substring(0, eq) : word;
    }

    /**
     * Reads a command line (the words after the command name) by this declaration.
     *
     * @throws UsageException naming what was wrong, followed by the usage
     */
    public ParsedArgs parse(List<String> words) throws UsageException {
        Map<String, String> given = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        boolean endOfOptions = false;
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (!endOfOptions && w.equals("--")) {
                endOfOptions = true;
                continue;
            }
            if (endOfOptions || !looksLikeOption(w)) {
                positional.add(w);
                continue;
            }
            String optionName = optionName(w);
            OptionSpec o = option(optionName).orElseThrow(() -> error("unknown option " + optionName));
            String value;
            if (o.isFlag()) {
                if (!optionName.equals(w)) {
                    throw error("option " + optionName + " takes no value");
                }
                value = "true";
            } else if (!optionName.equals(w)) {
                value = w.substring(optionName.length() + 1);
            } else if (i + 1 >= words.size() || option(optionName(words.get(i + 1))).isPresent()) {
                throw error("option " + optionName + " needs a value (" + o.valueName() + ")");
            } else {
                value = words.get(++i);
            }
            if (given.containsKey(optionName)) {
                throw error("option " + optionName + " given twice");
            }
            given.put(optionName, value);
        }
        for (List<String> choice : oneOf) {
            List<String> present = new ArrayList<>();
            for (String c : choice) {
                if (given.containsKey(c)) {
                    present.add(c);
                }
            }
            if (present.isEmpty()) {
                throw error("give one of " + String.join(", ", choice.subList(0, choice.size() - 1)) + " and "
                        + choice.get(choice.size() - 1));
            }
            if (present.size() > 1) {
                throw error(String.join(" and ", present) + " exclude each other");
            }
        }
        int min = minArguments();
        int max = maxArguments();
        int n = positional.size();
        if (n < min || n > max) {
            throw error("expected " + expected(min, max) + ", got " + n);
        }
        return new ParsedArgs(this, given, positional);
    }

    private static String expected(int min, int max) {
        if (max == Integer.MAX_VALUE) {
            return "at least " + count(min);
        }
        if (min == max) {
            return min == 0 ? "no arguments" : count(min);
        }
        if (max == min + 1) {
            return min + " or " + count(max);
        }
        return min + " to " + count(max);
    }

    private static String count(int n) {
        return n + (n == 1 ? " argument" : " arguments");
    }

    /** A usage error of this command: {@code storage:df: WHAT; usage: storage:df NAME}. */
    public UsageException error(String what) {
        return new UsageException(scoped() + ": " + what + "; usage: " + usage());
    }

    /** The usage line: {@code storage:mkfs [--csum NAME] ... URI}. */
    public String usage() {
        StringBuilder u = new StringBuilder(scoped());
        List<String> inChoices = new ArrayList<>();
        for (List<String> choice : oneOf) {
            u.append(' ').append(String.join("|", choice));
            inChoices.addAll(choice);
        }
        for (OptionSpec o : options) {
            if (!inChoices.contains(o.name())) {
                u.append(" [").append(o.synopsis()).append(']');
            }
        }
        int open = 0;
        for (ArgSpec a : arguments) {
            u.append(' ');
            if (a.optional()) {
                u.append('[');
                open++;
            }
            u.append(a.synopsis());
        }
        u.append("]".repeat(open));
        return u.toString();
    }

    /** What {@code help scope:name} prints: description, usage, options, arguments, notes. */
    public String help() {
        StringBuilder h = new StringBuilder();
        h.append(scoped()).append(" - ").append(description).append('\n');
        h.append("usage: ").append(usage()).append('\n');
        int width = 0;
        for (OptionSpec o : options) {
            width = Math.max(width, o.synopsis().length());
        }
        for (ArgSpec a : arguments) {
            width = Math.max(width, a.synopsis().length());
        }
        if (!options.isEmpty()) {
            h.append("options:\n");
            for (OptionSpec o : options) {
                h.append(String.format("  %-" + width + "s  %s", o.synopsis(), o.description())).append('\n');
            }
        }
        if (!arguments.isEmpty()) {
            h.append("arguments:\n");
            for (ArgSpec a : arguments) {
                h.append(String.format("  %-" + width + "s  %s", a.synopsis(), a.description())).append('\n');
            }
        }
        for (String note : notes) {
            h.append(note).append('\n');
        }
        return h.toString().stripTrailing();
    }

    @Override
    public String toString() {
        return usage();
    }

    /** Declares a command; {@link #build()} ends it. */
    public static final class Builder {
        private final String scope;
        private final String name;
        private String group = "";
        private String description = "";
        private final List<OptionSpec> options = new ArrayList<>();
        private final List<ArgSpec> arguments = new ArrayList<>();
        private final List<List<String>> oneOf = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        private Builder(String scope, String name) {
            this.scope = scope;
            this.name = name;
        }

        public Builder group(String g) {
            this.group = g;
            return this;
        }

        public Builder describe(String text) {
            this.description = text;
            return this;
        }

        public Builder flag(String optionName, String text) {
            options.add(OptionSpec.flag(optionName, text));
            return this;
        }

        public Builder option(String optionName, String valueName, String text, Values values) {
            options.add(OptionSpec.valued(optionName, valueName, text, values));
            return this;
        }

        public Builder option(String optionName, String valueName, String text) {
            return option(optionName, valueName, text, Values.NONE);
        }

        /** Flags of which exactly one must be given, each declared with {@link #flag} first. */
        public Builder oneOf(String... flags) {
            oneOf.add(Collections.unmodifiableList(List.of(flags)));
            return this;
        }

        public Builder argument(String argName, String text, Values values) {
            check(false);
            arguments.add(new ArgSpec(argName, text, values, false, false));
            return this;
        }

        public Builder optional(String argName, String text, Values values) {
            check(true);
            arguments.add(new ArgSpec(argName, text, values, true, false));
            return this;
        }

        /** The last argument, taking every remaining word, at least one. */
        public Builder repeated(String argName, String text, Values values) {
            check(false);
            arguments.add(new ArgSpec(argName, text, values, false, true));
            return this;
        }

        public Builder note(String text) {
            notes.add(text);
            return this;
        }

        private void check(boolean optional) {
            if (!arguments.isEmpty()) {
                ArgSpec last = arguments.get(arguments.size() - 1);
                if (last.repeated()) {
                    throw new IllegalStateException(scope + ":" + name + ": nothing follows a repeated argument");
                }
                if (last.optional() && !optional) {
                    throw new IllegalStateException(scope + ":" + name + ": a required argument after an optional one");
                }
            }
        }

        public CommandSpec build() {
            for (List<String> choice : oneOf) {
                for (String f : choice) {
                    if (options.stream().noneMatch(o -> o.name().equals(f) && o.isFlag())) {
                        throw new IllegalStateException(scope + ":" + name + ": " + f + " is not a declared flag");
                    }
                }
            }
            return new CommandSpec(this);
        }
    }
}
