package org.cowstack.storage.shell;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A command's typed result as {@link ResultConverter} prints it: {@link #line()} where
 * Gogo wants one line (an element of a list, {@code Converter.LINE}), {@link #details()}
 * where it shows the value itself ({@code Converter.INSPECT}: the console, {@code -c},
 * a pipe). Scripts get the object and its accessors ({@code (storage:volumes) get 0}).
 */
public interface Described {
    /** One line: what it is. */
    String line();

    /** Everything about it; the line, for results that are a confirmation. */
    default String details() {
        return line();
    }

    /** A record whose details are its components, one aligned line each: a table's row. */
    interface Fields extends Described {
        @Override
        default String details() {
            return fields((Record) this);
        }
    }

    /**
     * A record's components as aligned {@code name  value} lines, names in words
     * ({@code digestLength} as {@code digest length}).
     */
    static String fields(Record r) {
        List<String[]> rows = new ArrayList<>();
        int width = 0;
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object value;
            try {
                value = c.getAccessor().invoke(r);
            } catch (ReflectiveOperationException e) {
                value = "?";
            }
            String name = words(c.getName());
            rows.add(new String[] {name, value == null ? "-" : value.toString()});
            width = Math.max(width, name.length());
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(row[0]).append(" ".repeat(width - row[0].length() + 2)).append(row[1]);
        }
        return out.toString();
    }

    private static String words(String camel) {
        StringBuilder out = new StringBuilder();
        for (char ch : camel.toCharArray()) {
            if (Character.isUpperCase(ch)) {
                out.append(' ').append(Character.toLowerCase(ch));
            } else {
                out.append(ch);
            }
        }
        return out.toString().toLowerCase(Locale.ROOT);
    }
}
