package org.cowstack.storage.nbd;

import java.util.Map;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One instance per export configuration, created by Declarative Services from Config
 * Admin: it hands the export to the servers and takes it back when it goes, so exports
 * come back after a restart or an update of this bundle as their configurations do.
 */
@Component(configurationPid = NbdExports.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = ExportConfiguration.class, factory = true)
public final class ExportComponent {
    private final NbdExports exports;
    private final String pid;

    @Activate
    public ExportComponent(@Reference NbdExports exports, ExportConfiguration config, Map<String, Object> properties) {
        this.exports = exports;
        this.pid = String.valueOf(properties.get(Constants.SERVICE_PID));
        exports.configured(pid, config);
    }

    @Modified
    void modified(ExportConfiguration config) {
        exports.configured(pid, config);
    }

    @Deactivate
    void deactivate() {
        exports.unconfigured(pid);
    }
}
