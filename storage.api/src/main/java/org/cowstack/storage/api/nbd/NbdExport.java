package org.cowstack.storage.api.nbd;

/**
 * One export and how it is used now.
 *
 * @param name     the name clients ask for
 * @param volume   the volume's name
 * @param path     the file in it
 * @param address  the address listened on
 * @param port     the TCP port
 * @param readOnly whether changes are refused
 * @param bitmaps  the dirty bitmaps offered as {@code qemu:dirty-bitmap:NAME} (busy while exported)
 * @param serving  whether the server listens and the volume is mounted
 * @param clients  connections now (to every export on that address and port)
 * @param bytesIn  bytes written by clients since the server started
 * @param bytesOut bytes read by clients since the server started
 * @param tlsCreds the directory of the server's TLS credentials; empty: no TLS
 */
public record NbdExport(String name, String volume, String path, String address, int port, boolean readOnly,
        java.util.List<String> bitmaps, boolean serving, int clients, long bytesIn, long bytesOut, String tlsCreds) {
    public NbdExport {
        bitmaps = java.util.List.copyOf(bitmaps);
        tlsCreds = tlsCreds == null ? "" : tlsCreds;
    }

    /** An export without TLS (the record of package version 1.0, kept for its callers). */
    public NbdExport(String name, String volume, String path, String address, int port, boolean readOnly,
            java.util.List<String> bitmaps, boolean serving, int clients, long bytesIn, long bytesOut) {
        this(name, volume, path, address, port, readOnly, bitmaps, serving, clients, bytesIn, bytesOut, "");
    }

    /** Whether clients must use TLS ({@code nbds://}). */
    public boolean tls() {
        return !tlsCreds.isEmpty();
    }
}
