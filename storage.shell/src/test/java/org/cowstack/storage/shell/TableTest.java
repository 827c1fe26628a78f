package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;

class TableTest {
    record Row(String name, long size) {
    }

    private final Table<Row> table = Table.of(List.of(new Row("alpha", 4096), new Row("b", 12)))
            .column("name", Row::name)
            .number("size", Row::size)
            .column("note", r -> r.size() > 100 ? "big" : null)
            .build();

    @Test
    void rendersAlignedColumnsWithNumbersOnTheRight() {
        assertEquals(""
                + "NAME   SIZE  NOTE\n"
                + "alpha  4096  big\n"
                + "b        12  -\n", table.render());
    }

    @Test
    void isAListOfItsRowsForScripts() {
        assertEquals(2, table.size());
        assertEquals("alpha", table.get(0).name());
    }

    @Test
    void converterFormatsOnlyTables() {
        TableConverter c = new TableConverter();
        assertEquals(table.render().stripTrailing(), c.format(table, Converter.INSPECT, null).toString());
        assertEquals("2 rows", c.format(table, Converter.LINE, null).toString());
        assertEquals(null, c.format("text", Converter.INSPECT, null));
    }
}
