package org.cowstack.storage.shell.cli;

/**
 * One option of a command: a flag ({@code --ro}) or an option with a value
 * ({@code --csum NAME}, also written {@code --csum=NAME}).
 *
 * @param name        with its dashes, {@code --csum} or {@code -S}
 * @param valueName   what the value is called in usage lines ({@code NAME}); null for a flag
 * @param description a few words for {@code help}
 * @param values      what the value completes from
 */
public record OptionSpec(String name, String valueName, String description, Values values) {
    public OptionSpec {
        if (name == null || !name.startsWith("-")) {
            throw new IllegalArgumentException("an option name starts with -: " + name);
        }
        values = values == null ? Values.NONE : values;
    }

    /** A flag: present or not. */
    public static OptionSpec flag(String name, String description) {
        return new OptionSpec(name, null, description, Values.NONE);
    }

    /** An option that takes a value. */
    public static OptionSpec valued(String name, String valueName, String description, Values values) {
        return new OptionSpec(name, valueName, description, values);
    }

    public boolean isFlag() {
        return valueName == null;
    }

    /** As in a usage line: {@code --csum NAME} or {@code --ro}. */
    public String synopsis() {
        return isFlag() ? name : name + " " + valueName;
    }
}
