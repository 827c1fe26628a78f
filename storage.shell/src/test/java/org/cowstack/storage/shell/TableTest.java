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
    void jsonHasTheColumnsAsKeysAndRawValues() {
        Table<Row> sized = Table.of(List.of(new Row("a\"b", 16 << 20), new Row("c", -1)))
                .column("name", Row::name)
                .number("size", r -> r.size() < 0 ? "-" : org.cowstack.storage.api.ByteSize.format(r.size()),
                        r -> r.size() < 0 ? null : r.size())
                .build();
        assertEquals("NAME  SIZE\na\"b    16M\nc        -\n", sized.render());
        assertEquals("[{\"name\":\"a\\\"b\",\"size\":16777216},{\"name\":\"c\",\"size\":null}]",
                sized.toJson());
        assertEquals(sized.toJson(), sized.as(true));
        assertEquals(sized, sized.as(false));
    }

    @Test
    void anEmptyTableSaysSoWhenTold() {
        Table<Row> none = Table.of(List.<Row>of()).column("name", Row::name).whenEmpty("block 7 is free").build();
        assertEquals("block 7 is free\n", none.render());
        assertEquals("[]", none.toJson());
        assertEquals("NAME\n", Table.of(List.<Row>of()).column("name", Row::name).build().render());
    }

    record Result(String volume, long freeBytes) implements Described {
        @Override
        public String line() {
            return volume + " has " + freeBytes;
        }

        @Override
        public String details() {
            return Described.fields(this);
        }
    }

    @Test
    void typedResultsAreOneLineInListsAndTheirDetailsAlone() {
        ResultConverter c = new ResultConverter();
        Result r = new Result("v", 42);
        assertEquals("v has 42", c.format(r, Converter.LINE, null));
        assertEquals("v has 42", c.format(r, Converter.PART, null));
        assertEquals("volume      v\nfree bytes  42", c.format(r, Converter.INSPECT, null));
        VolumeCommands.Mounted m = new VolumeCommands.Mounted("g", java.net.URI.create("mem:g"),
                org.cowstack.storage.api.volume.VolumeState.MOUNTED, false, "first-fit", "buffered",
                java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(10));
        assertEquals("mounted g on mem:g (MOUNTED)", c.format(m, Converter.INSPECT, null), "a confirmation");
        VolumeCommands.Formatted f = new VolumeCommands.Formatted(java.net.URI.create("mem:g"),
                java.util.UUID.fromString("00000000-0000-0000-0000-000000000001"), "", "crc32c", 4096, 16 << 20);
        assertEquals("formatted mem:g (16M, crc32c)", c.format(f, Converter.LINE, null));
        assertEquals("formatted mem:g: 16M, 4096-byte blocks, crc32c, uuid 00000000-0000-0000-0000-000000000001",
                c.format(f, Converter.INSPECT, null));
    }

    @Test
    void converterFormatsOnlyTables() {
        ResultConverter c = new ResultConverter();
        assertEquals(table.render().stripTrailing(), c.format(table, Converter.INSPECT, null).toString());
        assertEquals("2 rows", c.format(table, Converter.LINE, null).toString());
        assertEquals(null, c.format("text", Converter.INSPECT, null));
    }
}
