package org.cowstack.storage.cow.core;

import java.io.IOException;

/** Work on a volume that answers a value. */
@FunctionalInterface
public interface Query<T> {
    T run() throws IOException;
}
