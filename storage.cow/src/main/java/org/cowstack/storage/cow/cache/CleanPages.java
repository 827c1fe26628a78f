package org.cowstack.storage.cow.cache;

/**
 * The clean pages of a {@link PageCache}, least recently used first, chained through
 * the pages themselves: appending, removing and finding the oldest allocate nothing.
 * Guarded by the cache's monitor.
 */
final class CleanPages {
    private PageCache.Page oldest;
    private PageCache.Page newest;

    PageCache.Page oldest() {
        return oldest;
    }

    /** Adds a page as the most recently used. */
    void append(PageCache.Page p) {
        p.older = newest;
        p.newer = null;
        if (newest != null) {
            newest.newer = p;
        } else {
            oldest = p;
        }
        newest = p;
        p.chained = true;
    }

    void remove(PageCache.Page p) {
        if (p.older != null) {
            p.older.newer = p.newer;
        } else {
            oldest = p.newer;
        }
        if (p.newer != null) {
            p.newer.older = p.older;
        } else {
            newest = p.older;
        }
        p.older = null;
        p.newer = null;
        p.chained = false;
    }
}
