package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.device.DeviceProvider;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code storage:devices}: the device schemes installed now. */
@Component(service = DeviceCommands.class, immediate = true)
@GogoCommand(scope = "storage", function = {"devices"})
public final class DeviceCommands {

    /** One installed device backend. */
    public record DeviceSchemeInfo(String scheme, String bundle, String description) {
    }

    private final Map<ServiceReference<DeviceProvider>, DeviceProvider> providers = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addProvider(DeviceProvider provider, ServiceReference<DeviceProvider> ref) {
        providers.put(ref, provider);
    }

    void removeProvider(ServiceReference<DeviceProvider> ref) {
        providers.remove(ref);
    }

    @Descriptor("list the device URI schemes installed (file:, mem:, dax:, ...) and their bundles")
    public Table<DeviceSchemeInfo> devices() {
        List<DeviceSchemeInfo> rows = new ArrayList<>();
        providers.forEach((ref, provider) -> {
            Object scheme = ref.getProperty(DeviceProvider.SCHEME);
            if (scheme != null) {
                rows.add(new DeviceSchemeInfo(scheme.toString(), Bundles.describe(ref), provider.description()));
            }
        });
        rows.sort(Comparator.comparing(DeviceSchemeInfo::scheme));
        return Table.of(rows)
                .column("scheme", DeviceSchemeInfo::scheme)
                .column("bundle", DeviceSchemeInfo::bundle)
                .column("description", DeviceSchemeInfo::description)
                .build();
    }
}
