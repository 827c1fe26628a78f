package org.cowstack.storage.api.nbd;

import java.io.IOException;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The NBD exports of this framework: list, add, remove ({@code storage:nbd}). */
@ProviderType
public interface NbdService {
    /** The default NBD port. */
    int DEFAULT_PORT = 10809;

    /** Every configured export, by name. */
    List<NbdExport> exports();

    /**
     * Exports a file of a mounted volume, persistently (a factory configuration), and
     * returns once it is served.
     *
     * @param name    export name; empty for the path without its leading {@code /}
     * @param address where to listen: a loopback address (others need TLS, not offered yet)
     * @param bitmaps dirty bitmaps of the file to offer as {@code qemu:dirty-bitmap:NAME}
     *                contexts: busy while exported, as qemu makes them
     * @throws org.cowstack.storage.api.InvalidArgumentException for a name in use, an
     *         unknown volume, a missing file, a non-loopback address, a port that
     *         cannot be listened on, or a bitmap that is missing, busy or inconsistent;
     *         one sentence naming it
     */
    NbdExport export(String volume, String path, String name, boolean readOnly, String address, int port,
            List<String> bitmaps) throws IOException;

    /**
     * Stops serving an export and removes its configuration; its clients are disconnected.
     *
     * @throws org.cowstack.storage.api.InvalidArgumentException when there is no such export
     */
    void stop(String name) throws IOException;
}
