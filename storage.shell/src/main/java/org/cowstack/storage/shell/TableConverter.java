package org.cowstack.storage.shell;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Prints a {@link Table} returned by a command as an aligned table. Gogo consults
 * converters before its own formatting, which would otherwise print the rows one
 * {@code toString()} per line.
 */
@Component(service = Converter.class)
public final class TableConverter implements Converter {
    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (!(target instanceof Table)) {
            return null;
        }
        Table<?> table = (Table<?>) target;
        switch (level) {
            case INSPECT:
                return table.render().stripTrailing();
            case LINE:
                return table.size() + (table.size() == 1 ? " row" : " rows");
            default:
                return "table";
        }
    }
}
