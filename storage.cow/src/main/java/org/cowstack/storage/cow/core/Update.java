package org.cowstack.storage.cow.core;

import java.io.IOException;

/** Work on a volume that answers nothing. */
@FunctionalInterface
public interface Update {
    void run() throws IOException;
}
