package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.cowstack.storage.api.InvalidArgumentException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationArgTest {
    @Test
    void unitsAndBareSeconds() throws InvalidArgumentException {
        assertEquals(Duration.ofSeconds(30), DurationArg.parse("interval", "30"));
        assertEquals(Duration.ofMillis(500), DurationArg.parse("interval", "500ms"));
        assertEquals(Duration.ofSeconds(5), DurationArg.parse("interval", " 5S "));
        assertEquals(Duration.ofMinutes(2), DurationArg.parse("interval", "2m"));
        assertEquals(Duration.ofHours(1), DurationArg.parse("interval", "1h"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "1.5s", "5 s", "1d", "ms", "1234567890", "0x10"})
    void anythingElseIsOneClearError(String text) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> DurationArg.parse("commit interval", text));
        assertTrue(e.getMessage().contains("a duration such as 30, 500ms, 5s, 2m or 1h"), e.getMessage());
    }

    @Test
    void zeroIsADurationButNotAnInterval() throws InvalidArgumentException {
        assertEquals(Duration.ZERO, DurationArg.parse("timeout", "0"));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> DurationArg.positive("commit interval", "0ms"));
        assertEquals("commit interval: 0ms (expected: a duration above zero, such as 30, 500ms, 5s, 2m or 1h)",
                e.getMessage());
    }
}
