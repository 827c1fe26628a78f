package org.cowstack.storage.shell;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.scrub.CheckReport;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.cowstack.storage.api.volume.VolumeStatus;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;

/**
 * The real engine's volumes on RAM disks behind the {@link VolumeManager} interface the
 * shell sees (as IoScriptTest mounts one): enough of a manager for completion and the
 * commands that read volumes.
 */
class MemEngine implements VolumeManager, AutoCloseable {
    final MemDeviceProvider mem = new MemDeviceProvider();
    private final VolumeServices services = VolumeServices.of(List.of(new Crc32c()), List.of(new FirstFit()),
            List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct()));
    private final Map<String, CowVolume> volumes = new LinkedHashMap<>();

    /** Formats {@code mem:NAME} of {@code size} bytes and mounts it as {@code name}. */
    CowVolume mount(String name, long size) throws IOException {
        URI uri = URI.create("mem:" + name);
        try (BlockDevice d = mem.open(uri, OpenOptions.create(size))) {
            CowVolume.format(d, FormatOptions.defaults(), services, "first-fit");
        }
        CowVolume v = CowVolume.mount(name, uri, mem.open(uri, OpenOptions.readWrite()), services,
                MountOptions.defaults(), 8 << 20);
        volumes.put(name, v);
        return v;
    }

    /** Mounts the existing image on {@code mem:NAME} as {@code name}. */
    CowVolume mountExisting(String name, boolean readOnly) throws IOException {
        URI uri = URI.create("mem:" + name);
        CowVolume v = CowVolume.mount(name, uri, mem.open(uri, readOnly ? OpenOptions.readOnly()
                : OpenOptions.readWrite()), services, MountOptions.defaults().readOnly(readOnly), 8 << 20);
        volumes.put(name, v);
        return v;
    }

    @Override
    public void close() throws IOException {
        for (CowVolume v : volumes.values()) {
            v.unmount();
        }
        mem.deactivate();
    }

    @Override
    public Optional<Volume> volume(String name) {
        return Optional.ofNullable(volumes.get(name));
    }

    @Override
    public List<Volume> volumes() {
        return new ArrayList<>(volumes.values());
    }

    @Override
    public List<VolumeStatus> status() {
        List<VolumeStatus> all = new ArrayList<>();
        for (CowVolume v : volumes.values()) {
            all.add(new VolumeStatus(v.name(), v.device(), v.state(), "", true));
        }
        return all;
    }

    @Override
    public Optional<MountOptions> options(String name) {
        return volumes.containsKey(name) ? Optional.of(MountOptions.defaults()) : Optional.empty();
    }

    /** As the engine does: the volume mounted on the device, or the image opened read-only. */
    @Override
    public CheckReport check(URI device) throws IOException {
        for (CowVolume v : volumes.values()) {
            if (v.device().equals(device)) {
                return v.check();
            }
        }
        if (device.getScheme() == null || !device.getScheme().equals("mem")) {
            throw new NotSupportedException("no device backend for " + device.getScheme() + ": is installed");
        }
        try (BlockDevice d = mem.open(device, OpenOptions.readOnly())) {
            return CowVolume.check(d, services).report();
        }
    }

    @Override
    public FormatResult mkfs(URI device, FormatOptions options) {
        throw new UnsupportedOperationException("mkfs");
    }

    @Override
    public Volume mount(String name, URI device, MountOptions options) {
        throw new UnsupportedOperationException("mount");
    }

    @Override
    public void unmount(String name) throws IOException {
        CowVolume v = volumes.remove(name);
        if (v != null) {
            v.unmount();
        }
    }

    @Override
    public void allocationPolicy(String name, String policy) {
        throw new UnsupportedOperationException("allocationPolicy");
    }

    @Override
    public void dioStrategy(String name, String strategy) {
        throw new UnsupportedOperationException("dioStrategy");
    }

    @Override
    public void remount(String name, boolean readOnly) {
        throw new UnsupportedOperationException("remount");
    }

    @Override
    public long refresh(String name) {
        throw new UnsupportedOperationException("refresh");
    }
}
