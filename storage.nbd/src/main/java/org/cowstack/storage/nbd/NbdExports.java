package org.cowstack.storage.nbd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.nbd.NbdExport;
import org.cowstack.storage.api.nbd.NbdService;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The configured exports and the servers that serve them: one {@link NbdServer} per
 * address and port, shared by the exports configured there, started with its first
 * export and closed with its last. The volume is found by name at each connection, so
 * an export follows its volume across unmount and mount (unknown while unmounted).
 * Exports sharing a server share its TLS credentials, read when it starts; a server
 * on an address other than loopback must have them, so that neither data nor export
 * names cross a network in clear.
 */
@Component(service = {NbdExports.class, NbdService.class})
public final class NbdExports implements NbdService {
    /** The factory PID of export configurations. */
    public static final String FACTORY_PID = "org.cowstack.storage.nbd.export";

    private static final System.Logger LOG = System.getLogger("org.cowstack.storage.nbd");

    /** A configured export, where it listens. */
    record Settings(String name, String volume, String path, boolean readOnly, InetSocketAddress address,
            String description, List<String> bitmaps, String tlsCreds, boolean multiConn) {
    }

    /** How long {@link #export} and {@link #stop} wait for Declarative Services to apply the configuration. */
    private static final long APPLY_MILLIS = 10_000;

    private final VolumeManager manager;
    private final ConfigurationAdmin configAdmin;
    private final Map<String, Settings> configured = new HashMap<>();
    private final Map<InetSocketAddress, NbdServer> servers = new HashMap<>();
    /** Why a configuration is not served, by PID. */
    private final Map<String, String> refused = new HashMap<>();
    /** The bitmaps exports hold busy, by PID, taken again whenever their volume is mounted. */
    private final BitmapHolds holds = new BitmapHolds(line -> LOG.log(System.Logger.Level.ERROR, line));

    @Activate
    public NbdExports(@Reference VolumeManager manager, @Reference ConfigurationAdmin configAdmin) {
        this.manager = manager;
        this.configAdmin = configAdmin;
    }

    synchronized void configured(String pid, ExportConfiguration c) {
        String name = c.name().isEmpty() ? c.path().replaceFirst("^/+", "") : c.name();
        InetSocketAddress address = new InetSocketAddress(c.address(), c.port());
        String tlsCreds = c.tlsCreds().strip();
        unconfigured(pid);
        if (address.isUnresolved() || !isLoopback(address.getAddress()) && tlsCreds.isEmpty()) {
            refuse(pid, "nbd: export " + name + " not served: listening on " + c.address() + (address.isUnresolved()
                    ? ", which does not resolve" : " needs TLS credentials (tlsCreds); without them only loopback"));
            return;
        }
        String disagree = tlsConflict(address, tlsCreds);
        if (disagree != null) {
            refuse(pid, "nbd: export " + name + " not served: " + disagree);
            return;
        }
        TlsCredentials tls = null;
        if (!tlsCreds.isEmpty() && !servers.containsKey(address)) {
            try {
                tls = TlsCredentials.load(Path.of(tlsCreds));
            } catch (IOException | java.nio.file.InvalidPathException e) {
                refuse(pid, "nbd: export " + name + " not served: TLS credentials " + e.getMessage());
                return;
            }
        }
        List<String> bitmaps = List.of(c.bitmaps());
        try {
            holds.want(pid, c.volume(), c.path(), bitmaps, volume(c.volume()));
        } catch (IOException e) {
            refuse(pid, "nbd: export " + name + " not served: " + e.getMessage());
            return;
        }
        Settings s = new Settings(name, c.volume(), c.path(), c.readOnly(), address, c.description(), bitmaps,
                tlsCreds, c.multiConn());
        configured.put(pid, s);
        notifyAll();
        if (!servers.containsKey(address)) {
            NbdServer server = new NbdServer(address, n -> export(address, n), () -> exports(address),
                    line -> LOG.log(System.Logger.Level.WARNING, line), tls);
            try {
                servers.put(address, server.start());
            } catch (IOException e) {
                configured.remove(pid);
                refuse(pid, "nbd: export " + name + " not served: cannot listen on " + address + ": "
                        + e.getMessage());
            }
        }
    }

    private void refuse(String pid, String why) {
        refused.put(pid, why);
        LOG.log(System.Logger.Level.ERROR, why);
        notifyAll();
    }

    /** Why an export with these credentials cannot join the exports on that address; null when it can. */
    private String tlsConflict(InetSocketAddress address, String tlsCreds) {
        for (Settings o : configured.values()) {
            if (o.address().equals(address) && !o.tlsCreds().equals(tlsCreds)) {
                return address.getHostString() + ":" + address.getPort() + " serves exports "
                        + (o.tlsCreds().isEmpty() ? "without TLS" : "with the TLS credentials of " + o.tlsCreds())
                        + " already; exports sharing an address and port share its TLS credentials";
            }
        }
        return null;
    }

    private static boolean isLoopback(InetAddress a) {
        return a != null && a.isLoopbackAddress();
    }

    /** A volume was mounted (at start, after an engine update, umount and mount): exported bitmaps are held again. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "volumeGone")
    void volumeMounted(Volume v) {
        holds.mounted(v);
    }

    void volumeGone(Volume v, Map<String, Object> properties) {
        holds.unmounted(String.valueOf(properties.get(Volume.PROP_NAME)));
    }

    synchronized void unconfigured(String pid) {
        refused.remove(pid);
        holds.release(pid);
        notifyAll();
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
                return exportOf(s);
            }
        }
        return null;
    }

    private synchronized List<Export> exports(InetSocketAddress address) {
        List<Export> out = new ArrayList<>();
        for (Settings s : configured.values()) {
            Export e = s.address().equals(address) ? exportOf(s) : null;
            if (e != null) {
                out.add(e);
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    /** What is served for a configured export now: null while its volume is not mounted. */
    private Export exportOf(Settings s) {
        Volume v = volume(s.volume());
        return v == null ? null : new Export(s.name(), s.description(), v, s.path(), s.readOnly(), s.bitmaps(),
                s.multiConn());
    }

    private Volume volume(String name) {
        for (Volume v : manager.volumes()) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        return null;
    }

    @Override
    public synchronized List<NbdExport> exports() {
        List<NbdExport> out = new ArrayList<>();
        for (Settings s : configured.values()) {
            out.add(status(s));
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    private NbdExport status(Settings s) {
        NbdServer server = servers.get(s.address());
        return new NbdExport(s.name(), s.volume(), s.path(), s.address().getHostString(), s.address().getPort(),
                s.readOnly(), s.bitmaps(), server != null && volume(s.volume()) != null,
                server == null ? 0 : server.clients(), server == null ? 0 : server.bytesIn(),
                server == null ? 0 : server.bytesOut(), s.tlsCreds());
    }

    @Override
    public NbdExport export(String volumeName, String path, String name, boolean readOnly, String address, int port,
            List<String> bitmaps, String tlsCreds) throws IOException {
        String tls = tlsCreds == null ? "" : tlsCreds.strip();
        String exportName = name == null || name.isEmpty() ? path.replaceFirst("^/+", "") : name;
        if (exportName.isEmpty() || exportName.length() > 4096) {
            throw new InvalidArgumentException("export name", exportName, "1 to 4096 bytes");
        }
        if (port < 1 || port > 65535) {
            throw new InvalidArgumentException("port", port, "1 to 65535");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(address);
        } catch (IOException e) {
            throw new InvalidArgumentException("address", address, "a host name or address this machine resolves");
        }
        if (!a.isLoopbackAddress() && tls.isEmpty()) {
            throw new InvalidArgumentException("address", address, "a loopback address, or TLS credentials "
                    + "(--tls-creds DIR) to listen elsewhere");
        }
        if (!tls.isEmpty()) {
            try {
                // kept absolute: the configuration outlives the caller's working directory
                tls = TlsCredentials.load(Path.of(tls).toAbsolutePath().normalize()).dir().toString();
            } catch (IOException | java.nio.file.InvalidPathException e) {
                throw new InvalidArgumentException("tls-creds", tls, "a directory of TLS credentials as qemu's "
                        + "tls-creds-x509 reads it; " + e.getMessage());
            }
        }
        Volume v = volume(volumeName);
        if (v == null) {
            throw new InvalidArgumentException("volume", volumeName, "a mounted volume");
        }
        try {
            if (v.stat(path).directory()) {
                throw new InvalidArgumentException("path", path, "a file, not a directory");
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidArgumentException("path", path, "an existing file of volume " + volumeName);
        }
        synchronized (this) {
            for (Settings s : configured.values()) {
                if (s.name().equals(exportName)) {
                    throw new InvalidArgumentException("export name", exportName, "a name no other export uses");
                }
            }
            String disagree = tlsConflict(new InetSocketAddress(a, port), tls);
            if (disagree != null) {
                throw new InvalidArgumentException("tls-creds", tls.isEmpty() ? "(none)" : tls, "the same TLS "
                        + "credentials as the other exports there: " + disagree);
            }
        }
        Configuration c = configAdmin.createFactoryConfiguration(FACTORY_PID, "?");
        java.util.Dictionary<String, Object> p = new java.util.Hashtable<>();
        p.put("volume", volumeName);
        p.put("path", path);
        p.put("name", exportName);
        p.put("readOnly", readOnly);
        p.put("address", address);
        p.put("port", port);
        p.put("bitmaps", bitmaps.toArray(new String[0]));
        p.put("tlsCreds", tls);
        c.update(p);
        String pid = c.getPid();
        synchronized (this) {
            long deadline = System.currentTimeMillis() + APPLY_MILLIS;
            while (!configured.containsKey(pid) && !refused.containsKey(pid)) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            Settings s = configured.get(pid);
            if (s != null) {
                return status(s);
            }
        }
        String why;
        synchronized (this) {
            why = refused.get(pid);
        }
        c.delete();
        if (why != null && why.contains("TLS")) {
            throw new InvalidArgumentException("tls-creds", tls, "TLS credentials the server can use: " + why);
        }
        if (why != null && why.contains("bitmap")) {
            throw new InvalidArgumentException("bitmaps", String.join(",", bitmaps), "bitmaps of " + path
                    + " that are free to export: " + why.replaceFirst("^nbd: export [^:]*: ", ""));
        }
        throw new InvalidArgumentException("port", port, "a port free to listen on"
                + (why == null ? " (the export did not start within " + APPLY_MILLIS + " ms)" : ": " + why));
    }

    @Override
    public void stop(String name) throws IOException {
        String pid = null;
        synchronized (this) {
            for (Map.Entry<String, Settings> e : configured.entrySet()) {
                if (e.getValue().name().equals(name)) {
                    pid = e.getKey();
                }
            }
            if (pid == null) {
                List<String> names = new ArrayList<>();
                configured.values().forEach(s -> names.add(s.name()));
                throw new InvalidArgumentException("export", name, names.isEmpty() ? "an export (there are none)"
                        : "one of " + String.join(", ", names));
            }
        }
        configAdmin.getConfiguration(pid, "?").delete();
        synchronized (this) {
            long deadline = System.currentTimeMillis() + APPLY_MILLIS;
            while (configured.containsKey(pid) && System.currentTimeMillis() < deadline) {
                try {
                    wait(Math.max(1, deadline - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Deactivate
    synchronized void deactivate() {
        for (NbdServer server : servers.values()) {
            server.close();
        }
        servers.clear();
        configured.clear();
        holds.releaseAll();
    }
}
