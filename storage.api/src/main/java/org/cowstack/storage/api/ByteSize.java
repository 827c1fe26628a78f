package org.cowstack.storage.api;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte counts as people type them: {@code 4096}, {@code 4k}, {@code 1m}, {@code 2g},
 * {@code 1t}, {@code 0x1000}, {@code 8KiB}. Suffixes are binary (k = 1024), as in
 * xfs_io and qemu-img.
 */
public final class ByteSize {
    /** Digits, an optional binary unit, an optional "b" or "ib" (8k, 8kb, 8KiB, 512b). */
    private static final Pattern DECIMAL = Pattern.compile("([0-9]+)([kmgtp]?)(?:i?b)?");
    private static final Pattern HEX = Pattern.compile("0x[0-9a-f]+");
    private static final String EXPECTED = "a byte count such as 4096, 4k, 1m, 2g or 0x1000";

    private ByteSize() {
    }

    /**
     * Parses a byte count.
     *
     * @param name  what the value is, used in the error message (for example {@code "size"})
     * @param value the text
     * @return the count, never negative
     * @throws InvalidArgumentException when the text is not a byte count or overflows a long
     */
    public static long parse(String name, String value) throws InvalidArgumentException {
        if (value == null) {
            throw new InvalidArgumentException(name, null, EXPECTED);
        }
        String s = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (HEX.matcher(s).matches()) {
                return Long.parseLong(s.substring(2), 16);
            }
            Matcher m = DECIMAL.matcher(s);
            if (!m.matches()) {
                throw new InvalidArgumentException(name, value, EXPECTED);
            }
            long v = Long.parseLong(m.group(1));
            int shift = m.group(2).isEmpty() ? 0 : 10 * (1 + "kmgtp".indexOf(m.group(2)));
            if (v > (Long.MAX_VALUE >> shift)) {
                throw new InvalidArgumentException(name, value, EXPECTED + ", below 2^63");
            }
            return v << shift;
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(name, value, EXPECTED + ", below 2^63");
        }
    }

    /**
     * Formats a byte count for tables: exact binary units where they divide evenly
     * ({@code 4K}, {@code 1G}), one decimal otherwise ({@code 1.5G}), plain bytes
     * below 1 KiB.
     */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return Long.toString(bytes);
        }
        String units = "KMGTPE";
        int unit = 0;
        double v = bytes / 1024.0;
        long div = 1024;
        while (v >= 1024 && unit < units.length() - 1) {
            v /= 1024;
            div <<= 10;
            unit++;
        }
        if (bytes % div == 0) {
            return (bytes / div) + String.valueOf(units.charAt(unit));
        }
        return String.format(Locale.ROOT, "%.1f%c", v, units.charAt(unit));
    }
}
