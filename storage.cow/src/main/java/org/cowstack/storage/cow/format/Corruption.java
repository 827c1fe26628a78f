package org.cowstack.storage.cow.format;

import java.util.function.Supplier;

import org.cowstack.storage.api.CorruptImageException;

/**
 * A structure read from the device is not what the format allows. Unchecked so that it
 * can cross the B-tree's visitors; the engine turns it into a
 * {@link CorruptImageException} naming the volume before it reaches a caller.
 */
public final class Corruption extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Corruption(String message) {
        super(message);
    }

    public static void check(boolean condition, String what) {
        if (!condition) {
            throw new Corruption(what);
        }
    }

    /**
     * As {@link #check(boolean, String)}, the message built only when the check fails:
     * checks run for every item and node decoded, and building their messages cost more
     * than the checks.
     */
    public static void check(boolean condition, Supplier<String> what) {
        if (!condition) {
            throw new Corruption(what.get());
        }
    }
}
