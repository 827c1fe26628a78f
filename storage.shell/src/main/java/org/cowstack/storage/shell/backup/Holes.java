package org.cowstack.storage.shell.backup;

import java.nio.ByteBuffer;

/** Whether a piece of data is all zeros, so that it can be left as a hole. */
final class Holes {
    private Holes() {
    }

    /** Whether the bytes from position to limit are all zero; the buffer is not moved. */
    static boolean zero(ByteBuffer b) {
        int i = b.position();
        int end = b.limit();
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
