package org.cowstack.storage.cow;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.VolumeManager;

/**
 * The embedded default volume of the executable: when the framework property
 * {@value #VOLUME} names one, it is created on first start (a 1 GiB sparse image,
 * crc32c) at {@code $STORAGE_HOME/volumes/NAME.img} and mounted, so that a new user can
 * type {@code storage:io default /hello "pwrite 0 4k" "md5sum"} at once.
 *
 * <p>The volume manager runs this once it has the services that need: a DS component
 * of its own would be activated by the registration of the last of them before the
 * manager's own bind for it, and fail to find it.
 */
final class DefaultVolume {
    /** Framework property: the name of the default volume, or absent for none. */
    static final String VOLUME = "storage.default.volume";
    /** Framework property: where the stack keeps its state (set by ./storage from STORAGE_HOME). */
    static final String HOME = "storage.home";
    static final long SIZE = 1L << 30;
    static final String SCHEME = "file";
    static final String CHECKSUM = "crc32c";

    private final String name;
    private final Path image;

    private DefaultVolume(String name, Path image) {
        this.name = name;
        this.image = image;
    }

    /** The default volume the properties ask for, or null. */
    static DefaultVolume of(String volumeProperty, String homeProperty) {
        if (volumeProperty == null || volumeProperty.isBlank()) {
            return null;
        }
        String home = homeProperty == null || homeProperty.isBlank() ? "data" : homeProperty;
        return new DefaultVolume(volumeProperty.trim(),
                Path.of(home, "volumes", volumeProperty.trim() + ".img").toAbsolutePath().normalize());
    }

    String name() {
        return name;
    }

    Path image() {
        return image;
    }

    /** Whether what it needs is installed: the file backend, its checksum, the default policy and strategy. */
    boolean canSetUp(InstalledServices installed) {
        MountOptions defaults = MountOptions.defaults();
        return installed.device(SCHEME) != null && installed.checksum(CHECKSUM) != null
                && installed.allocationPolicy(defaults.allocationPolicy()) != null
                && installed.dioStrategy(defaults.dioStrategy()) != null;
    }

    /**
     * Creates the image if it is missing, and mounts it (which records its configuration)
     * unless a volume of its name is configured already: the default volume is a
     * configuration like any other once it exists, so its policies survive restarts.
     */
    void setUp(VolumeManager manager, boolean configured) throws IOException {
        URI uri;
        try {
            uri = new URI(SCHEME, image.toString(), null);
        } catch (URISyntaxException e) {
            throw new IOException("the default volume's path " + image + " is not usable in a URI: " + e.getMessage());
        }
        if (!Files.exists(image)) {
            manager.mkfs(uri, FormatOptions.defaults().size(SIZE).label(name).checksum(CHECKSUM));
        }
        if (!configured) {
            manager.mount(name, uri, MountOptions.defaults());
        }
    }
}
