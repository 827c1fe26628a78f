package org.cowstack.storage.shell;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Prints what the storage commands return, as SCR's {@code ComponentCommands} does for
 * its DTOs: a {@link Table} as an aligned table (or its message when it has no rows), a
 * {@link Described} result as its details; inside a list, each as one line. Gogo consults
 * converters before its own formatting, which would print a record's {@code toString()}
 * and a table one row per line.
 */
@Component(service = Converter.class)
public final class ResultConverter implements Converter {
    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof Table) {
            Table<?> table = (Table<?>) target;
            return level == INSPECT ? table.render().stripTrailing() : table.summary();
        }
        if (target instanceof Described) {
            Described d = (Described) target;
            return level == INSPECT ? d.details() : d.line();
        }
        return null;
    }
}
