package org.cowstack.storage.shell.console;

/**
 * One completion candidate.
 *
 * @param value       the word as it is to be inserted (without quotes; the console quotes it
 *                    if it must)
 * @param description a few words shown beside it, or null
 * @param complete    whether the word is finished (the console adds a space after it);
 *                    false for a directory path or an option that takes its value in the same word
 */
public record Completion(String value, String description, boolean complete) {
    public Completion {
        if (value == null) {
            throw new IllegalArgumentException("a completion needs a value");
        }
    }

    /** A finished word without a description. */
    public static Completion of(String value) {
        return new Completion(value, null, true);
    }
}
