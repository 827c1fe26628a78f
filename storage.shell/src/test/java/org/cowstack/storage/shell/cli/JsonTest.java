package org.cowstack.storage.shell.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    private static Map<String, Object> of(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void stringsAreEscapedAsRfc8259Requires() {
        assertEquals("\"a\\\"b\\\\c\"", Json.quote("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\\b\\f\"", Json.quote("\n\r\t\b\f"));
        assertEquals("\"\\u0000\\u001f\\u007f\"", Json.quote("\u0000\u001f\u007f"));
        assertEquals("\"/ slash stays\"", Json.quote("/ slash stays"));
        assertEquals("\"\\u2028\\u2029\"", Json.quote("\u2028\u2029"), "JavaScript's line separators");
        assertEquals("\"caf\u00e9 \ud83d\ude00\"", Json.quote("caf\u00e9 \ud83d\ude00"), "UTF-16 pairs pass");
        assertEquals("\"\\ud83d x \\ude00\"", Json.quote("\ud83d x \ude00"), "lone surrogates are escaped");
    }

    @Test
    void valuesKeepTheirJsonTypes() {
        assertEquals("{\"n\":42,\"l\":-7,\"d\":1.5,\"t\":true,\"null\":null,\"s\":\"x\",\"nan\":null}",
                Json.object(of("n", 42, "l", -7L, "d", 1.5, "t", true, "null", null, "s", "x", "nan", Double.NaN)));
    }

    @Test
    void rowsAreOneArrayOfObjects() {
        assertEquals("[]", Json.array(List.of()));
        assertEquals("[{\"name\":\"a\",\"size\":1},{\"name\":\"b\\\"\",\"size\":2}]",
                Json.array(Arrays.asList(of("name", "a", "size", 1), of("name", "b\"", "size", 2))));
    }

    @Test
    void mapsAndListsNest() {
        assertEquals("{\"a\":{\"b\":[1,\"x\",{\"c\":null}]},\"e\":[]}",
                Json.object(of("a", of("b", Arrays.asList(1, "x", of("c", null))), "e", List.of())));
    }
}
