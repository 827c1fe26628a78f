package org.cowstack.storage.nbd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The configured exports and the servers that serve them: one {@link NbdServer} per
 * address and port, shared by the exports configured there, started with its first
 * export and closed with its last. The volume is found by name at each connection, so
 * an export follows its volume across unmount and mount (unknown while unmounted).
 */
@Component(service = NbdExports.class)
public final class NbdExports {
    /** The factory PID of export configurations. */
    public static final String FACTORY_PID = "org.cowstack.storage.nbd.export";

    private static final System.Logger LOG = System.getLogger("org.cowstack.storage.nbd");

    /** A configured export, where it listens. */
    record Settings(String name, String volume, String path, boolean readOnly, InetSocketAddress address,
            String description) {
    }

    private final VolumeManager manager;
    private final Map<String, Settings> configured = new HashMap<>();
    private final Map<InetSocketAddress, NbdServer> servers = new HashMap<>();

    @Activate
    public NbdExports(@Reference VolumeManager manager) {
        this.manager = manager;
    }

    synchronized void configured(String pid, ExportConfiguration c) {
        String name = c.name().isEmpty() ? c.path().replaceFirst("^/+", "") : c.name();
        InetSocketAddress address = new InetSocketAddress(c.address(), c.port());
        unconfigured(pid);
        if (address.isUnresolved() || !isLoopback(address.getAddress())) {
            LOG.log(System.Logger.Level.ERROR, "nbd: export " + name + " not served: listening on " + c.address()
                    + " needs TLS, which this server does not offer yet; use a loopback address");
            return;
        }
        Settings s = new Settings(name, c.volume(), c.path(), c.readOnly(), address, c.description());
        configured.put(pid, s);
        if (!servers.containsKey(address)) {
            NbdServer server = new NbdServer(address, n -> export(address, n), () -> exports(address),
                    line -> LOG.log(System.Logger.Level.WARNING, line));
            try {
                servers.put(address, server.start());
            } catch (IOException e) {
                configured.remove(pid);
                LOG.log(System.Logger.Level.ERROR, "nbd: export " + name + " not served: cannot listen on "
                        + address + ": " + e.getMessage());
            }
        }
    }

    private static boolean isLoopback(InetAddress a) {
        return a != null && a.isLoopbackAddress();
    }

    synchronized void unconfigured(String pid) {
        Settings s = configured.remove(pid);
        if (s != null && configured.values().stream().noneMatch(o -> o.address().equals(s.address()))) {
            NbdServer server = servers.remove(s.address());
            if (server != null) {
                server.close();
            }
        }
    }

    /** The export of that name on that address, its volume mounted; null otherwise. */
    private synchronized Export export(InetSocketAddress address, String name) {
        for (Settings s : configured.values()) {
            if (s.address().equals(address) && s.name().equals(name)) {
                Volume v = volume(s.volume());
                return v == null ? null : new Export(s.name(), s.description(), v, s.path(), s.readOnly());
            }
        }
        return null;
    }

    private synchronized List<Export> exports(InetSocketAddress address) {
        List<Export> out = new ArrayList<>();
        for (Settings s : configured.values()) {
            if (s.address().equals(address)) {
                Volume v = volume(s.volume());
                if (v != null) {
                    out.add(new Export(s.name(), s.description(), v, s.path(), s.readOnly()));
                }
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    private Volume volume(String name) {
        for (Volume v : manager.volumes()) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        return null;
    }

    /** The exports now: name, volume, path, address, clients, bytes in and out. */
    public synchronized List<String[]> table() {
        List<String[]> rows = new ArrayList<>();
        for (Settings s : configured.values()) {
            NbdServer server = servers.get(s.address());
            rows.add(new String[] {s.name(), s.volume(), s.path(), s.address().getHostString() + ":"
                    + s.address().getPort(), String.valueOf(server == null ? 0 : server.clients()),
                String.valueOf(server == null ? 0 : server.bytesIn()),
                String.valueOf(server == null ? 0 : server.bytesOut())});
        }
        return rows;
    }

    @Deactivate
    synchronized void deactivate() {
        for (NbdServer server : servers.values()) {
            server.close();
        }
        servers.clear();
        configured.clear();
    }
}
