package org.cowstack.storage.dax;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.EnumSet;
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
import org.cowstack.storage.device.base.TiledMemory;
import org.cowstack.storage.device.base.Unmapper;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * {@code dax:PATH[?sync=auto|required|off]}: a device whose image file is mapped into
 * memory, as a persistent-memory (DAX) device is.
 *
 * <p>{@code sync=auto} (the default) asks for a MAP_SYNC mapping and falls back to a
 * normal shared mapping where the file system cannot do it (anything not mounted with
 * {@code -o dax} on persistent memory); {@code required} refuses to open without it;
 * {@code off} never asks. The mode obtained is reported as
 * {@link DeviceCapability#MAP_SYNC}. Images over 2 GiB are mapped in 1 GiB tiles, which
 * Java 17 needs. Every mapping is released when its device closes or this component is
 * deactivated.
 */
@Component(service = DeviceProvider.class)
@DeviceProviderService(scheme = "dax")
public final class DaxDeviceProvider implements DeviceProvider {
    private static final Set<String> PARAMETERS = Set.of("sync");
    private static final Set<String> SYNC_CHOICES = Set.of("auto", "required", "off");

    private final OpenDevices open = new OpenDevices();
    private final int tileShift;

    public DaxDeviceProvider() {
        this(TiledMemory.DEFAULT_TILE_SHIFT);
    }

    /** For tests that cross tile boundaries without gigabytes of mapping. */
    DaxDeviceProvider(int tileShift) {
        this.tileShift = tileShift;
    }

    @Override
    public String description() {
        return "image file mapped into memory (DAX); MAP_SYNC where the file system allows, "
                + "?sync=required|off to insist or refuse";
    }

    @Override
    public BlockDevice open(URI uri, OpenOptions options) throws IOException {
        DeviceUri parsed = DeviceUri.parse(uri, scheme(), PARAMETERS);
        String sync = parsed.choice("sync", "auto", SYNC_CHOICES);
        boolean readOnly = options.isReadOnly();
        Path path = Path.of(parsed.path());
        return open.open(BackingFile.key(path), readOnly, uri.toString(),
                () -> BackingFile.openDevice(path, options, Set.<OpenOption>of(), uri.toString(),
                        file -> map(uri, file, readOnly, sync)));
    }

    private DaxDevice map(URI uri, BackingFile file, boolean readOnly, String sync) throws IOException {
        long size = file.deviceSize(DaxDevice.BLOCK_SIZE);
        MapMode mode = readOnly ? MapMode.READ_ONLY : "off".equals(sync) ? MapMode.SHARED : MapMode.SYNC;
        ByteBuffer[] tiles = new ByteBuffer[TiledMemory.tileCount(size, tileShift)];
        try {
            // The first tile decides the mode: a file system grants MAP_SYNC for all or none.
            try {
                tiles[0] = mode.map(file.channel(), 0, TiledMemory.tileLength(size, tileShift, 0));
            } catch (IOException | UnsupportedOperationException | NoClassDefFoundError e) {
                if (mode != MapMode.SYNC) {
                    throw e;
                }
                if ("required".equals(sync)) {
                    throw new NotSupportedException(uri + ": MAP_SYNC is not available for " + file.path()
                            + " (" + e.getMessage() + "); it needs a file system mounted with -o dax"
                            + " on persistent memory", e);
                }
                mode = MapMode.SHARED;
                tiles[0] = mode.map(file.channel(), 0, TiledMemory.tileLength(size, tileShift, 0));
            }
            for (int i = 1; i < tiles.length; i++) {
                tiles[i] = mode.map(file.channel(), (long) i << tileShift, TiledMemory.tileLength(size, tileShift, i));
            }
        } catch (IOException | RuntimeException | Error e) {
            for (ByteBuffer tile : tiles) {
                if (tile != null) {
                    Unmapper.release(tile);
                }
            }
            throw e;
        }
        Set<DeviceCapability> capabilities = EnumSet.of(DeviceCapability.PERSISTENT, DeviceCapability.DIRECT_ACCESS);
        if (mode == MapMode.SYNC) {
            capabilities.add(DeviceCapability.MAP_SYNC);
        }
        return new DaxDevice(uri, file, new TiledMemory(tiles, tileShift, size), mode, capabilities);
    }

    /** Closes every device, unmapping it: the bundle is stopping. */
    @Deactivate
    public void deactivate() throws IOException {
        IOException failure = open.closeAll();
        if (failure != null) {
            throw failure;
        }
    }
}
