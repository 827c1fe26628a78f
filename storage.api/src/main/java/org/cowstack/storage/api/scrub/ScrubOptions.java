package org.cowstack.storage.api.scrub;

/**
 * How a scrub runs.
 *
 * @param repair rewrite bad copies from good ones (the default on a writable volume);
 *               false only reports
 * @param limit  bytes per second the scrub reads at most, 0 for no limit
 */
public record ScrubOptions(boolean repair, long limit) {
    public ScrubOptions {
        if (limit < 0) {
            throw new IllegalArgumentException("scrub rate limit " + limit + " (expected bytes per second >= 0)");
        }
    }
}
