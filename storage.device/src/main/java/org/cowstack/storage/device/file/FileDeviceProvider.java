package org.cowstack.storage.device.file;

import java.io.IOException;
import java.net.URI;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceCapability;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.DeviceProviderService;
import org.cowstack.storage.api.device.DeviceUri;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.device.base.BackingFile;
import org.cowstack.storage.device.base.OpenDevices;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * {@code file:PATH[?direct=true][&dsync=true]}: a device on a sparse image file.
 *
 * <ul>
 * <li>{@code direct}: open with O_DIRECT (bypass the host page cache). The block size
 * becomes the host file system's, as O_DIRECT requires; refused with a clear error where
 * the host file system cannot do it (tmpfs).</li>
 * <li>{@code dsync}: open with O_DSYNC, so every write is durable when it returns
 * (reported as {@link DeviceCapability#FUA}).</li>
 * </ul>
 * Relative paths resolve against the working directory. {@code discard} is a no-op:
 * punching holes needs {@code fallocate(2)}, which Java does not offer.
 */
@Component(service = DeviceProvider.class)
@DeviceProviderService(scheme = "file")
public final class FileDeviceProvider implements DeviceProvider {
    private static final Set<String> PARAMETERS = Set.of("direct", "dsync");
    private static final int BUFFERED_BLOCK_SIZE = 512;

    private final OpenDevices open = new OpenDevices();

    @Override
    public String description() {
        return "sparse image file, positional I/O; ?direct=true for O_DIRECT, ?dsync=true for O_DSYNC";
    }

    @Override
    public BlockDevice open(URI uri, OpenOptions options) throws IOException {
        DeviceUri parsed = DeviceUri.parse(uri, scheme(), PARAMETERS);
        boolean direct = parsed.flag("direct", false);
        boolean dsync = parsed.flag("dsync", false);
        boolean readOnly = options.isReadOnly();
        Path path = Path.of(parsed.path());
        Set<OpenOption> extra = new HashSet<>();
        Set<DeviceCapability> capabilities = EnumSet.of(DeviceCapability.PERSISTENT);
        if (dsync) {
            extra.add(StandardOpenOption.DSYNC);
            capabilities.add(DeviceCapability.FUA);
        }
        if (direct) {
            extra.add(DirectIo.option(uri.toString()));
            capabilities.add(DeviceCapability.DIRECT_IO);
        }
        return open.open(BackingFile.key(path), readOnly, uri.toString(),
                () -> openBacking(path, options, extra, uri, direct, file -> {
                    // Asked once the file exists: O_DIRECT's alignment is its file system's.
                    int blockSize = direct ? DirectIo.alignment(path) : BUFFERED_BLOCK_SIZE;
                    return new FileDevice(uri, file, file.deviceSize(blockSize), blockSize, readOnly, capabilities,
                            direct);
                }));
    }

    private static FileDevice openBacking(Path path, OpenOptions options, Set<OpenOption> extra, URI uri,
            boolean direct, BackingFile.DeviceFactory<FileDevice> factory) throws IOException {
        try {
            return BackingFile.openDevice(path, options, extra, uri.toString(), factory);
        } catch (UnsupportedOperationException e) {
            throw new NotSupportedException("O_DIRECT is not supported for " + uri + " by this Java runtime", e);
        } catch (IOException e) {
            // open(2) answers EINVAL when the file system has no O_DIRECT (tmpfs before Linux 6.6).
            if (direct && String.valueOf(e.getMessage()).contains("Invalid argument")) {
                throw new NotSupportedException("O_DIRECT is not supported for " + uri
                        + " by the host file system; open it without ?direct=true", e);
            }
            throw e;
        }
    }

    /** Closes every device still open: the bundle is stopping. */
    @Deactivate
    public void deactivate() throws IOException {
        IOException failure = open.closeAll();
        if (failure != null) {
            throw failure;
        }
    }
}
