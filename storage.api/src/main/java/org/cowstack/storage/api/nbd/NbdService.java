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
     * @param name     export name; empty for the path without its leading {@code /}
     * @param address  where to listen: a loopback address, or any with {@code tlsCreds}
     * @param bitmaps  dirty bitmaps of the file to offer as {@code qemu:dirty-bitmap:NAME}
     *                 contexts: busy while exported, as qemu makes them
     * @param tlsCreds a directory of X.509 credentials as qemu's {@code --tls-creds} reads
     *                 it ({@code ca-cert.pem}, {@code server-cert.pem},
     *                 {@code server-key.pem}): clients must then start TLS, and with a CA
     *                 present show a certificate it signed; empty for no TLS. Exports on
     *                 one address and port share it.
     * @throws org.cowstack.storage.api.InvalidArgumentException for a name in use, an
     *         unknown volume, a missing file, a non-loopback address without TLS, TLS
     *         credentials that cannot be read or differ from those of the other exports
     *         on that address and port, a port that cannot be listened on, or a bitmap
     *         that is missing, busy or inconsistent; one sentence naming it
     * @since 1.1
     */
    NbdExport export(String volume, String path, String name, boolean readOnly, String address, int port,
            List<String> bitmaps, String tlsCreds) throws IOException;

    /** An export without TLS: {@link #export(String, String, String, boolean, String, int, List, String)} with none. */
    default NbdExport export(String volume, String path, String name, boolean readOnly, String address, int port,
            List<String> bitmaps) throws IOException {
        return export(volume, path, name, readOnly, address, port, bitmaps, "");
    }

    /**
     * Stops serving an export and removes its configuration; its clients are disconnected.
     *
     * @throws org.cowstack.storage.api.InvalidArgumentException when there is no such export
     */
    void stop(String name) throws IOException;
}
