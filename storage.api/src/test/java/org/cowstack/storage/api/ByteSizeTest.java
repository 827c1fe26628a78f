package org.cowstack.storage.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {
    @ParameterizedTest
    @CsvSource({
        "0, 0", "4096, 4096", "4k, 4096", "4K, 4096", "8kb, 8192", "8KiB, 8192", "1m, 1048576",
        "2g, 2147483648", "1t, 1099511627776", "512b, 512", "0x1000, 4096", "0XfF, 255", " 12k , 12288"})
    void parses(String text, long expected) throws InvalidArgumentException {
        assertEquals(expected, ByteSize.parse("size", text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "k", "-1", "1.5k", "4q", "0x", "0x-1", "1kk", "abc", "9223372036854775808",
        "8388608t", "0x10000000000000000"})
    void refusesWithTheArgumentNameAndValue(String text) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> ByteSize.parse("size", text));
        assertTrue(e.getMessage().startsWith("size: " + text + " (expected: "), e.getMessage());
        assertEquals("size", e.argument());
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "1023, 1023", "1024, 1K", "4096, 4K", "1536, 1.5K", "1073741824, 1G", "1610612736, 1.5G"})
    void formats(long bytes, String expected) {
        assertEquals(expected, ByteSize.format(bytes));
    }
}
