package org.cowstack.storage.api.volume;

/**
 * Outcome of {@link FileHandle#dedupeRange}.
 *
 * @param bytesDeduped bytes now shared (the truth, not the request: 0 when they differ)
 * @param differs      true when the ranges were not identical and nothing was shared
 */
public record DedupeResult(long bytesDeduped, boolean differs) {
}
