package org.cowstack.storage.api.device;

import java.io.IOException;
import java.net.URI;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Opens block devices for one URI scheme ({@code file:}, {@code mem:}, {@code dax:},
 * ...).
 *
 * <p>An implementation is a component annotated with {@link DeviceProviderService},
 * which declares its scheme once: the annotation sets the {@value #SCHEME} service
 * property consumers select the provider by, and {@link #scheme()} reads the
 * same annotation. Backend-specific knobs
 * travel in the URI's query ({@code file:vm.img?direct=true}), as qemu's driver
 * options do; generic ones in {@link OpenOptions}. A query parameter the provider does
 * not know is refused with an {@link org.cowstack.storage.api.InvalidArgumentException},
 * never ignored.
 *
 * <p>Thread safety: all methods may be called concurrently. When the provider's
 * component is deactivated it closes every device it opened; their later use fails
 * with {@link org.cowstack.storage.api.OfflineException}.
 */
@ConsumerType
public interface DeviceProvider {
    /** Service property: the URI scheme this provider serves, a String. */
    String SCHEME = "storage.device.scheme";

    /**
     * The URI scheme served, lower case, without the colon: by default the
     * {@link DeviceProviderService#scheme()} of the implementing class.
     *
     * @throws IllegalStateException when the implementing class has no
     *         {@link DeviceProviderService} annotation and does not override this method
     */
    default String scheme() {
        DeviceProviderService service = getClass().getAnnotation(DeviceProviderService.class);
        if (service == null) {
            throw new IllegalStateException(getClass().getName() + " implements DeviceProvider without a"
                    + " @DeviceProviderService annotation, so it has no scheme: annotate the class or override"
                    + " scheme()");
        }
        return service.scheme();
    }

    /**
     * Opens the device named by {@code uri}, creating its backing store if the options
     * ask for it.
     *
     * @param uri     a URI of this provider's scheme
     * @param options read-only or read-write, create or open existing
     * @return an open device; the caller owns it and must close it
     * @throws org.cowstack.storage.api.InvalidArgumentException for a URI of another
     *         scheme, a malformed URI or an unknown query parameter
     * @throws java.nio.file.NoSuchFileException when the backing store does not exist and
     *         the options do not create it
     * @throws org.cowstack.storage.api.NotSupportedException when a requested mode (for
     *         example O_DIRECT) is not available here
     * @throws org.cowstack.storage.api.NoSpaceException when the backing store cannot be
     *         created at the requested size
     * @throws IOException for other failures of the backing store
     */
    BlockDevice open(URI uri, OpenOptions options) throws IOException;

    /**
     * One line on how this provider works and what it can do, for
     * {@code storage:devices}; for example {@code "sparse file, positional I/O, O_DIRECT"}.
     */
    String description();
}
