package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code storage:csum}: the checksum algorithms installed now. */
@Component(service = ChecksumCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"csum"})
public final class ChecksumCommands {

    /** One installed algorithm. */
    public record ChecksumInfo(String name, int id, int digestLength, String bundle) implements Described.Fields {
        @Override
        public String line() {
            return name + " (id " + id + ", " + digestLength + "-byte digests, " + bundle + ")";
        }
    }

    private final List<ServiceReference<ChecksumAlgorithm>> algorithms = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addAlgorithm(ServiceReference<ChecksumAlgorithm> ref) {
        algorithms.add(ref);
    }

    void removeAlgorithm(ServiceReference<ChecksumAlgorithm> ref) {
        algorithms.remove(ref);
    }

    /** The algorithms selectable now, by id. */
    List<ChecksumInfo> installed() {
        List<ChecksumInfo> rows = new ArrayList<>();
        for (ServiceReference<ChecksumAlgorithm> ref : algorithms) {
            Object name = ref.getProperty(ChecksumAlgorithm.NAME);
            Object id = ref.getProperty(ChecksumAlgorithm.ID);
            Object length = ref.getProperty(ChecksumAlgorithm.DIGEST_LENGTH);
            if (name == null || !(id instanceof Integer) || !(length instanceof Integer)) {
                continue; // registered without the properties the contract requires: not selectable
            }
            rows.add(new ChecksumInfo(name.toString(), (Integer) id, (Integer) length, Bundles.describe(ref)));
        }
        rows.sort(Comparator.comparingInt(ChecksumInfo::id).thenComparing(ChecksumInfo::name));
        return rows;
    }

    @Descriptor(Commands.CSUM_TEXT)
    public Object csum(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) {
        ParsedArgs a = Invocation.parse(Commands.CSUM, session, args);
        return Table.of(installed())
                .column("name", ChecksumInfo::name)
                .number("id", ChecksumInfo::id)
                .number("digest bytes", ChecksumInfo::digestLength)
                .column("bundle", ChecksumInfo::bundle)
                .build()
                .as(a.json());
    }
}
