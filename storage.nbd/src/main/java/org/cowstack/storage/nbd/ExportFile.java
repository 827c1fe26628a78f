package org.cowstack.storage.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.volume.FileHandle;

/**
 * The file a connection serves, followed across swaps under the export. When the engine
 * bundle is updated its volumes are unmounted and mounted again by the new engine, and
 * the handle a connection held answers {@link OfflineException} from then on; a request
 * that meets it waits (at most {@link #SWAP_WAIT_MILLIS}) for the export's volume to be
 * served again, opens the file there and runs again, so the client sees a slow request,
 * not an error. Requests are idempotent on the wire (a write writes the same bytes at the
 * same place), so running one again is what the client would do. Swaps of policy bundles
 * do not get here: the volume itself holds operations while it is suspended.
 */
final class ExportFile implements Closeable {
    /** How long a request waits for its volume to come back before it fails. */
    static final long SWAP_WAIT_MILLIS = 30_000;

    /** An operation on the file. */
    @FunctionalInterface
    interface Call<T> {
        T on(FileHandle file) throws IOException;
    }

    private final String name;
    private final Function<String, Export> exports;
    private final Set<StandardOpenOption> mode;
    private final BooleanSupplier closing;
    private final long waitMillis;
    private FileHandle file;

    /** Opens the export's file; {@code closing} stops a wait when the server closes. */
    ExportFile(Export export, Function<String, Export> exports, BooleanSupplier closing, long waitMillis)
            throws IOException {
        this.name = export.name();
        this.exports = exports;
        this.mode = export.readOnly() ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.closing = closing;
        this.waitMillis = waitMillis;
        this.file = export.volume().open(export.path(), mode);
    }

    /** Runs {@code call} on the file, again on the file reopened if its volume went offline under it. */
    <T> T call(Call<T> call) throws IOException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (true) {
            try {
                return call.on(file);
            } catch (OfflineException offline) {
                reopen(deadline, offline);
            }
        }
    }

    /** Waits for the export's volume to be served again and opens the file on it; else the first failure. */
    private void reopen(long deadline, OfflineException cause) throws IOException {
        while (!closing.getAsBoolean() && System.nanoTime() < deadline) {
            Export e = exports.apply(name);
            if (e != null) {
                try {
                    FileHandle again = e.volume().open(e.path(), mode);
                    closeQuietly(file);
                    file = again;
                    return;
                } catch (OfflineException stillGone) {
                    // the old volume, not yet replaced
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("waiting for export " + name + " to come back");
            }
        }
        throw cause;
    }

    private static void closeQuietly(FileHandle f) {
        try {
            f.close();
        } catch (IOException | RuntimeException ignored) {
            // the handle of a volume that is gone
        }
    }

    @Override
    public void close() {
        closeQuietly(file);
    }
}
