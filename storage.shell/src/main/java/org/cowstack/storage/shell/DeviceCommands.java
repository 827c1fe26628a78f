package org.cowstack.storage.shell;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.shell.cli.ParsedArgs;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code storage:devices}: the device schemes installed now. */
@Component(service = DeviceCommands.class, immediate = true)
@GogoCommand(scope = Commands.SCOPE, function = {"devices"})
public final class DeviceCommands {

    /** One installed device backend. */
    public record DeviceSchemeInfo(String scheme, String bundle, String description) implements Described.Fields {
        @Override
        public String line() {
            return scheme + ": " + description;
        }
    }

    private final Map<ServiceReference<DeviceProvider>, DeviceProvider> providers = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addProvider(DeviceProvider provider, ServiceReference<DeviceProvider> ref) {
        providers.put(ref, provider);
    }

    void removeProvider(ServiceReference<DeviceProvider> ref) {
        providers.remove(ref);
    }

    /** The schemes installed now, by name. */
    List<DeviceSchemeInfo> installed() {
        List<DeviceSchemeInfo> rows = new ArrayList<>();
        providers.forEach((ref, provider) -> {
            Object scheme = ref.getProperty(DeviceProvider.SCHEME);
            if (scheme != null) {
                String description;
                try {
                    description = provider.description();
                } catch (RuntimeException e) {
                    description = "-"; // a provider going away under us
                }
                rows.add(new DeviceSchemeInfo(scheme.toString(), Bundles.describe(ref), description));
            }
        });
        rows.sort(Comparator.comparing(DeviceSchemeInfo::scheme));
        return rows;
    }

    @Descriptor(Commands.DEVICES_TEXT)
    public Object devices(CommandSession session, @Descriptor(Commands.ARGS) CharSequence... args) {
        ParsedArgs a = Invocation.parse(Commands.DEVICES_COMMAND, session, args);
        return Table.of(installed())
                .column("scheme", DeviceSchemeInfo::scheme)
                .column("bundle", DeviceSchemeInfo::bundle)
                .column("description", DeviceSchemeInfo::description)
                .build()
                .as(a.json());
    }
}
