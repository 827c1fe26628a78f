package org.cowstack.storage.shell;

import java.io.IOException;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.nbd.NbdExport;
import org.cowstack.storage.api.nbd.NbdService;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.cowstack.storage.shell.cli.UsageException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code storage:nbd export|list|stop} over the NBD bundle's {@link NbdService}. */
@Component(service = NbdCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"nbd"})
public final class NbdCommands {
    private static final Actions ACTIONS = new Actions(Commands.NBD, Commands.NBD_ACTIONS, options());

    private static java.util.Map<String, String> options() {
        java.util.Map<String, String> m = Actions.only("export", List.of("--port", "--name", "--address", "--ro",
                "--bitmap", "--tls-creds"));
        m.put(Commands.JSON, "list");
        return m;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile NbdService nbd;

    private NbdService service() {
        NbdService s = nbd;
        if (s == null) {
            throw new IllegalStateException("the NBD server (bundle storage.nbd) is not running");
        }
        return s;
    }

    /** One export's row in {@code storage:nbd list}. */
    public record ExportInfo(String export, String volume, String path, String address, String tls, String state,
            int clients, long bytesIn, long bytesOut) {
    }

    @Descriptor(Commands.NBD_TEXT)
    public Object nbd(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.NBD, session, args);
        String action = ACTIONS.check(a);
        switch (action) {
            case "export": {
                String given = a.option("--port", Integer.toString(NbdService.DEFAULT_PORT));
                int port = given.matches("[0-9]{1,5}") ? Integer.parseInt(given) : 0;
                if (port < 1 || port > 65535) {
                    throw actionError(action, "--port " + given + " is not a TCP port (1 to 65535)");
                }
                String bitmaps = a.option("--bitmap", "");
                NbdExport e = service().export(a.arg(1), a.arg(2), a.option("--name", ""), a.has("--ro"),
                        a.option("--address", "127.0.0.1"), (int) port,
                        bitmaps.isEmpty() ? List.of() : List.of(bitmaps.split(",")), a.option("--tls-creds", ""));
                return "exported " + e.volume() + ":" + e.path() + " as " + (e.tls() ? "nbds" : "nbd") + "://"
                        + e.address() + ":" + e.port() + "/"
                        + e.name() + (e.readOnly() ? " (read-only)" : "")
                        + (e.bitmaps().isEmpty() ? "" : " with qemu:dirty-bitmap:" + String.join(", qemu:dirty-bitmap:",
                                e.bitmaps()));
            }
            case "stop":
                service().stop(a.arg(1));
                return "stopped export " + a.arg(1);
            default: {
                List<ExportInfo> rows = service().exports().stream()
                        .map(e -> new ExportInfo(e.name(), e.volume(), e.path(), e.address() + ":" + e.port(),
                                e.tls() ? e.tlsCreds() : "-",
                                e.serving() ? (e.readOnly() ? "serving, read-only" : "serving")
                                        : "waiting for its volume",
                                e.clients(), e.bytesIn(), e.bytesOut()))
                        .toList();
                return Table.of(rows)
                        .column("export", ExportInfo::export)
                        .column("volume", ExportInfo::volume)
                        .column("path", ExportInfo::path)
                        .column("address", ExportInfo::address)
                        .column("tls", ExportInfo::tls)
                        .column("state", ExportInfo::state)
                        .number("clients", ExportInfo::clients)
                        .number("in", ExportInfo::bytesIn)
                        .number("out", ExportInfo::bytesOut)
                        .build()
                        .as(a.json());
            }
        }
    }

    private static UsageException actionError(String action, String what) {
        return ACTIONS.error(action, what);
    }
}
