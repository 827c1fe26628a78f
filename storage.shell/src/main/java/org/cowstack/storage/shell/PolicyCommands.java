package org.cowstack.storage.shell;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code storage:dio} and {@code storage:alloc}: the DIO fallback strategies and
 * allocation policies installed now, and which one each volume uses. Set one for a
 * volume and it applies from the volume's next direct write or allocation.
 */
@Component(service = PolicyCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"dio", "alloc"})
public final class PolicyCommands {

    /** One installed strategy or policy, with the volumes using it. */
    public record PolicyInfo(String name, String bundle, String volumes) implements Described.Fields {
        @Override
        public String line() {
            return name + " (" + bundle + "), used by " + volumes;
        }
    }

    /**
     * The strategy or policy a volume uses ({@code kind} {@code dio} or {@code alloc}),
     * shown, or just set ({@code changed}).
     */
    public record PolicySetting(String volume, String kind, String name, boolean changed) implements Described {
        @Override
        public String line() {
            return volume + (kind.equals("dio") ? ": direct writes use " : ": allocates with ") + name
                    + (changed ? " from now on" : "");
        }
    }

    private final List<ServiceReference<DioStrategy>> strategies = new CopyOnWriteArrayList<>();
    private final List<ServiceReference<AllocationPolicy>> policies = new CopyOnWriteArrayList<>();
    private final Engine engine = new Engine();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindManager(VolumeManager m) {
        engine.bind(m);
    }

    void unbindManager(VolumeManager m) {
        engine.unbind(m);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStrategy(ServiceReference<DioStrategy> ref) {
        strategies.add(ref);
    }

    void removeStrategy(ServiceReference<DioStrategy> ref) {
        strategies.remove(ref);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPolicy(ServiceReference<AllocationPolicy> ref) {
        policies.add(ref);
    }

    void removePolicy(ServiceReference<AllocationPolicy> ref) {
        policies.remove(ref);
    }

    /** The DIO strategies installed now, by name. */
    List<PolicyInfo> strategies() {
        return rows(strategies, DioStrategy.NAME, MountOptions::dioStrategy);
    }

    /** The allocation policies installed now, by name. */
    List<PolicyInfo> policies() {
        return rows(policies, AllocationPolicy.NAME, MountOptions::allocationPolicy);
    }

    @Descriptor(Commands.DIO_TEXT)
    public Object dio(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.DIO, session, args);
        if (a.count() == 0) {
            return table(strategies()).as(a.json());
        }
        noJson(Commands.DIO, a);
        String volume = a.arg(0);
        if (a.count() == 1) {
            return new PolicySetting(volume, "dio", options(volume).dioStrategy(), false);
        }
        engine.manager().dioStrategy(volume, a.arg(1));
        return new PolicySetting(volume, "dio", a.arg(1), true);
    }

    @Descriptor(Commands.ALLOC_TEXT)
    public Object alloc(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) throws IOException {
        ParsedArgs a = Invocation.parse(Commands.ALLOC, session, args);
        if (a.count() == 0) {
            return table(policies()).as(a.json());
        }
        noJson(Commands.ALLOC, a);
        String volume = a.arg(0);
        if (a.count() == 1) {
            return new PolicySetting(volume, "alloc", options(volume).allocationPolicy(), false);
        }
        engine.manager().allocationPolicy(volume, a.arg(1));
        return new PolicySetting(volume, "alloc", a.arg(1), true);
    }

    private static void noJson(CommandSpec spec, ParsedArgs a) {
        if (a.json()) {
            throw spec.error("--json prints the list, given without a volume name");
        }
    }

    private MountOptions options(String volume) {
        return engine.manager().options(volume).orElseThrow(() -> new IllegalArgumentException(
                "no volume named " + volume + " is mounted; storage:volumes lists them"));
    }

    private <S> List<PolicyInfo> rows(List<ServiceReference<S>> refs, String nameProperty,
            Function<MountOptions, String> used) {
        VolumeManager m = engine.current();
        List<Volume> volumes = m == null ? List.of() : m.volumes();
        List<PolicyInfo> rows = new ArrayList<>();
        for (ServiceReference<S> ref : refs) {
            Object name = ref.getProperty(nameProperty);
            if (name == null) {
                continue; // registered without the property the contract requires: not selectable
            }
            String users = volumes.stream()
                    .filter(v -> m.options(v.name()).map(used).filter(name.toString()::equals).isPresent())
                    .map(Volume::name).collect(Collectors.joining(","));
            rows.add(new PolicyInfo(name.toString(), Bundles.describe(ref), users.isEmpty() ? "-" : users));
        }
        rows.sort(Comparator.comparing(PolicyInfo::name));
        return rows;
    }

    private static Table<PolicyInfo> table(List<PolicyInfo> rows) {
        return Table.of(rows)
                .column("name", PolicyInfo::name)
                .column("bundle", PolicyInfo::bundle)
                .column("volumes", PolicyInfo::volumes)
                .build();
    }
}
