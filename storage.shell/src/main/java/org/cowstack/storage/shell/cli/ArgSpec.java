package org.cowstack.storage.shell.cli;

/**
 * One positional argument of a command.
 *
 * @param name        as in usage lines ({@code NAME}, {@code PATH})
 * @param description a few words for {@code help}
 * @param values      what it completes from
 * @param optional    whether it may be left out (then every later argument is optional too)
 * @param repeated    whether it takes every remaining word (the last argument only); at least one
 *                    unless optional
 */
public record ArgSpec(String name, String description, Values values, boolean optional, boolean repeated) {
    public ArgSpec {
        values = values == null ? Values.NONE : values;
    }

    /** As in a usage line. */
    public String synopsis() {
        return repeated ? name + "..." : name;
    }
}
