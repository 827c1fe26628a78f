package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DirectWrite;

/** What no strategy here chooses differently: the cases with only one sensible answer. */
final class Fallbacks {
    private Fallbacks() {
    }

    /**
     * {@link DioMode#BUFFERED} for an unaligned write (only whole blocks can bypass the
     * cache: btrfs and XFS fall back the same way instead of failing);
     * {@link DioMode#NODATASUM} for a file without checksums (there is no checksum to
     * get wrong, so the caller's buffer is written as is); otherwise null: the strategy's
     * own choice.
     */
    static DioMode forced(DirectWrite w) {
        if (!w.aligned()) {
            return DioMode.BUFFERED;
        }
        if (!w.checksummed()) {
            return DioMode.NODATASUM;
        }
        return null;
    }

    static DioMode or(DirectWrite w, DioMode own) {
        DioMode forced = forced(w);
        return forced != null ? forced : own;
    }
}
