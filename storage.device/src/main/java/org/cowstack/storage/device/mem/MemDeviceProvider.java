package org.cowstack.storage.device.mem;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.DeviceProviderService;
import org.cowstack.storage.api.device.DeviceUri;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.device.base.OpenDevices;
import org.cowstack.storage.device.base.TiledMemory;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * {@code mem:NAME[?size=SIZE]}: a RAM disk of off-heap memory, like the kernel's brd.
 *
 * <p>A disk is created by the first read-write open that asks for it (with
 * {@link OpenOptions#create} or a {@code size} parameter) and lives, across closes and
 * reopens, until this component is deactivated: then every disk is closed and its
 * memory returned at once. A read-only open creates nothing. The open that created a
 * disk forgets it again when it closes it with {@code closeAndRemoveCreated}, as a
 * failed mkfs does. Memory comes from the JVM's direct memory, bounded by
 * {@code -XX:MaxDirectMemorySize}; disks over 2 GiB are held in 1 GiB tiles.
 */
@Component(service = DeviceProvider.class)
@DeviceProviderService(scheme = "mem")
public final class MemDeviceProvider implements DeviceProvider {
    private static final Set<String> PARAMETERS = Set.of("size");

    private final OpenDevices open = new OpenDevices();
    /** Guarded by itself. */
    private final Map<String, TiledMemory> disks = new HashMap<>();

    @Override
    public String description() {
        return "RAM disk of off-heap memory, kept until the bundle stops; ?size=SIZE creates it";
    }

    @Override
    public BlockDevice open(URI uri, OpenOptions options) throws IOException {
        DeviceUri parsed = DeviceUri.parse(uri, scheme(), PARAMETERS);
        String name = parsed.path();
        long size = parsed.size("size", options.size());
        boolean create = !options.isReadOnly() && (options.isCreate() || parsed.params().containsKey("size"));
        boolean readOnly = options.isReadOnly();
        return open.open(name, readOnly, uri.toString(), () -> {
            TiledMemory memory;
            boolean created = false;
            synchronized (disks) {
                memory = disks.get(name);
                if (memory == null) {
                    if (!create) {
                        throw new NoSuchFileException(uri.toString(), null,
                                "no such RAM disk (storage:mkfs --size SIZE creates it)");
                    }
                    memory = allocate(uri, size - size % MemDevice.BLOCK_SIZE);
                    disks.put(name, memory);
                    created = true;
                }
            }
            TiledMemory disk = memory;
            return new MemDevice(uri, memory, readOnly, created ? () -> forget(name, disk) : null);
        });
    }

    /** Forgets a disk and returns its memory; called by its creator's close, which excludes other openers. */
    private void forget(String name, TiledMemory memory) {
        synchronized (disks) {
            if (!disks.remove(name, memory)) {
                return; // deactivated meanwhile: released there
            }
        }
        memory.release();
    }

    private static TiledMemory allocate(URI uri, long size) throws IOException {
        if (size < MemDevice.BLOCK_SIZE) {
            throw new InvalidArgumentException("size of " + uri, size, "at least " + MemDevice.BLOCK_SIZE + " bytes");
        }
        int shift = TiledMemory.DEFAULT_TILE_SHIFT;
        ByteBuffer[] tiles = new ByteBuffer[TiledMemory.tileCount(size, shift)];
        try {
            for (int i = 0; i < tiles.length; i++) {
                tiles[i] = ByteBuffer.allocateDirect(TiledMemory.tileLength(size, shift, i));
            }
        } catch (OutOfMemoryError e) {
            for (ByteBuffer tile : tiles) {
                if (tile != null) {
                    org.cowstack.storage.device.base.Unmapper.release(tile);
                }
            }
            throw new NoSpaceException(uri.toString(), size,
                    "the JVM's direct memory is exhausted (raise -XX:MaxDirectMemorySize)");
        }
        return new TiledMemory(tiles, shift, size);
    }

    /** Closes every device and frees every disk: the bundle is stopping. */
    @Deactivate
    public void deactivate() throws IOException {
        IOException failure = open.closeAll();
        synchronized (disks) {
            disks.values().forEach(TiledMemory::release);
            disks.clear();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
