package org.cowstack.storage.shell;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cowstack.storage.api.InvalidArgumentException;

/**
 * Durations as administrators type them: {@code 500ms}, {@code 5s}, {@code 2m},
 * {@code 1h}; a bare number is seconds, as in btrfs's {@code commit=30} mount option.
 */
final class DurationArg {
    private static final Pattern FORM = Pattern.compile("([0-9]{1,9})(ms|s|m|h)?");
    private static final String EXPECTED = "a duration such as 30, 500ms, 5s, 2m or 1h";

    private DurationArg() {
    }

    /** A duration above zero, such as a commit interval. */
    static Duration positive(String name, String value) throws InvalidArgumentException {
        Duration d = parse(name, value);
        if (d.isZero()) {
            throw new InvalidArgumentException(name, value, "a duration above zero, such as 30, 500ms, 5s, 2m or 1h");
        }
        return d;
    }

    static Duration parse(String name, String value) throws InvalidArgumentException {
        Matcher m = FORM.matcher(value == null ? "" : value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new InvalidArgumentException(name, value, EXPECTED);
        }
        long n = Long.parseLong(m.group(1)); // at most 9 digits: no overflow in any unit
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
