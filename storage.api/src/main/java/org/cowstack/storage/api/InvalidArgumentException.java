package org.cowstack.storage.api;

/**
 * An argument is outside its contract (EINVAL): unaligned offset, negative length,
 * a size out of range, a malformed URI. Nothing was changed.
 *
 * <p>The message names the argument, the value and what was expected, for example
 * {@code blockSize: 3000 (expected: power of two, 512..65536)}.
 */
public class InvalidArgumentException extends StorageException {
    private static final long serialVersionUID = 1L;

    private final String argument;
    private final String value;

    public InvalidArgumentException(String argument, Object value, String expected) {
        super(String.format("%s: %s (expected: %s)", argument, value, expected));
        this.argument = argument;
        this.value = String.valueOf(value);
    }

    public String argument() {
        return argument;
    }

    public String value() {
        return value;
    }
}
