package org.cowstack.storage.shell;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
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
@GogoCommand(scope = "storage", function = {"dio", "alloc"})
public final class PolicyCommands {

    /** One installed strategy or policy, with the volumes using it. */
    public record PolicyInfo(String name, String bundle, String volumes) {
    }

    private final List<ServiceReference<DioStrategy>> strategies = new CopyOnWriteArrayList<>();
    private final List<ServiceReference<AllocationPolicy>> policies = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile VolumeManager manager;

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

    private VolumeManager manager() {
        VolumeManager m = manager;
        if (m == null) {
            throw new IllegalStateException("the storage engine (bundle storage.cow) is not running");
        }
        return m;
    }

    private MountOptions options(String volume) {
        return manager().options(volume).orElseThrow(() -> new IllegalArgumentException(
                "no volume named " + volume + " is mounted; storage:volumes lists them"));
    }

    @Descriptor("list the DIO fallback strategies installed: name, providing bundle, volumes using it")
    public Table<PolicyInfo> dio() {
        return table(strategies, DioStrategy.NAME, MountOptions::dioStrategy);
    }

    @Descriptor("show the DIO fallback strategy a volume uses for direct writes")
    public String dio(@Descriptor("volume name") String volume) {
        return volume + ": direct writes use " + options(volume).dioStrategy();
    }

    @Descriptor("set the DIO fallback strategy of a volume: buffered, bounce, nodatasum, verify, direct or one a "
            + "bundle adds; it applies from the next direct write")
    public String dio(@Descriptor("volume name") String volume, @Descriptor("strategy, as storage:dio lists them") String strategy)
            throws IOException {
        manager().dioStrategy(volume, strategy);
        return volume + ": direct writes use " + strategy + " from now on";
    }

    @Descriptor("list the allocation policies installed: name, providing bundle, volumes using it")
    public Table<PolicyInfo> alloc() {
        return table(policies, AllocationPolicy.NAME, MountOptions::allocationPolicy);
    }

    @Descriptor("show the allocation policy a volume uses")
    public String alloc(@Descriptor("volume name") String volume) {
        return volume + ": allocates with " + options(volume).allocationPolicy();
    }

    @Descriptor("set the allocation policy of a volume: first-fit, best-fit, next-fit or one a bundle adds; it "
            + "applies from the next allocation")
    public String alloc(@Descriptor("volume name") String volume, @Descriptor("policy, as storage:alloc lists them") String policy)
            throws IOException {
        manager().allocationPolicy(volume, policy);
        return volume + ": allocates with " + policy + " from now on";
    }

    private <S> Table<PolicyInfo> table(List<ServiceReference<S>> refs, String nameProperty,
            Function<MountOptions, String> used) {
        VolumeManager m = manager;
        List<Volume> volumes = m == null ? List.of() : m.volumes();
        List<PolicyInfo> rows = new ArrayList<>();
        for (ServiceReference<S> ref : refs) {
            Object name = ref.getProperty(nameProperty);
            if (name == null) {
                continue; // registered without the property the contract requires: not selectable
            }
            String users = volumes.stream()
                    .filter(v -> Optional.ofNullable(m).flatMap(x -> x.options(v.name())).map(used)
                            .filter(name.toString()::equals).isPresent())
                    .map(Volume::name).collect(Collectors.joining(","));
            rows.add(new PolicyInfo(name.toString(), Bundles.describe(ref), users.isEmpty() ? "-" : users));
        }
        rows.sort(Comparator.comparing(PolicyInfo::name));
        return Table.of(rows)
                .column("name", PolicyInfo::name)
                .column("bundle", PolicyInfo::bundle)
                .column("volumes", PolicyInfo::volumes)
                .build();
    }
}
