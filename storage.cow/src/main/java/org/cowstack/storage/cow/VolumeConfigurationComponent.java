package org.cowstack.storage.cow;

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
 * One instance per volume configuration, created by Declarative Services from Config
 * Admin: it hands its configuration to the volume manager and takes it back when it
 * goes. Deactivation (the configuration deleted, or the engine stopping) unmounts the
 * volume; only {@code storage:umount} deletes configuration.
 */
@Component(configurationPid = org.cowstack.storage.api.volume.VolumeManager.VOLUME_FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = VolumeConfiguration.class, factory = true)
public final class VolumeConfigurationComponent {
    private final ConfiguredVolumes volumes;
    private final String pid;

    @Activate
    public VolumeConfigurationComponent(@Reference ConfiguredVolumes volumes, Map<String, Object> properties) {
        this.volumes = volumes;
        this.pid = String.valueOf(properties.get(Constants.SERVICE_PID));
        volumes.configured(pid, properties);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        volumes.configured(pid, properties);
    }

    @Deactivate
    void deactivate() {
        volumes.unconfigured(pid);
    }
}
