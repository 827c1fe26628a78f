package org.cowstack.storage.cow.core;

import java.io.IOException;

/**
 * A room that keeps part of the running transaction in memory and stores it when the
 * transaction commits, as dirty bitmaps do: called by every commit with the exclusive
 * tree lock held, after the dirty pages are placed and before the roots are taken, so
 * what it stores is committed with the data it describes.
 */
public interface CommitParticipant {
    /** Stores what belongs to the running transaction into the trees. */
    void beforeCommit() throws IOException;

    /** Whether it holds something the next commit would store (so an unmount or the commit interval commits). */
    boolean pending();
}
