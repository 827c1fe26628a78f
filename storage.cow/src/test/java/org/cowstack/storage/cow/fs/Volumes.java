package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.cowstack.storage.alloc.BestFit;
import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.alloc.NextFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.csum.Blake2b256;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.csum.Sha256;
import org.cowstack.storage.csum.XxHash64;
import org.cowstack.storage.device.mem.MemDeviceProvider;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.cowstack.storage.cow.bind.VolumeServices;

/** Test helpers: a RAM-disk provider, mkfs and mount in one line, whole-file reads. */
final class Volumes {
    /** What OSGi would provide: every checksum algorithm, allocation policy and DIO strategy. */
    static final VolumeServices SERVICES = VolumeServices.of(
            List.of(new Crc32c(), new XxHash64(), new Sha256(), new Blake2b256()),
            List.of(new FirstFit(), new BestFit(), new NextFit()),
            List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct()));
    static final List<String> ALLOCATION_POLICIES = List.of("first-fit", "best-fit", "next-fit");
    static final List<String> DIO_STRATEGIES = List.of("buffered", "bounce", "nodatasum", "verify", "direct");
    static final Set<StandardOpenOption> RW = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);

    final DeviceProvider provider;

    Volumes(DeviceProvider provider) {
        this.provider = provider;
    }

    static Volumes mem() {
        return new Volumes(new MemDeviceProvider());
    }

    void mkfs(URI uri, long size, FormatOptions options) throws IOException {
        try (BlockDevice d = provider.open(uri, OpenOptions.create(size))) {
            CowVolume.format(d, options.size(size), SERVICES, "first-fit");
        }
    }

    /** mkfs with default options, then mount. */
    CowVolume fresh(URI uri, long size) throws IOException {
        return fresh(uri, size, FormatOptions.defaults());
    }

    /** mkfs, then mount. */
    CowVolume fresh(URI uri, long size, FormatOptions options) throws IOException {
        mkfs(uri, size, options);
        return mount(uri);
    }

    CowVolume mount(URI uri) throws IOException {
        return mount(uri, MountOptions.defaults());
    }

    CowVolume mount(URI uri, MountOptions options) throws IOException {
        BlockDevice d = provider.open(uri, options.readOnly() ? OpenOptions.readOnly() : OpenOptions.readWrite());
        try {
            return CowVolume.mount("test", uri, d, SERVICES, options, CowVolume.DEFAULT_CACHE_BYTES);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    static byte[] readAll(CowVolume v, String path) throws IOException {
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            long size = f.size();
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                if (f.read(b, b.position()) < 0) {
                    break;
                }
            }
            return b.array();
        }
    }

    /** {@code length} bytes of {@code value}. */
    static ByteBuffer filled(int length, int value) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    static void write(CowVolume v, String path, long offset, byte[] data) throws IOException {
        try (FileHandle f = v.open(path, RW)) {
            f.write(ByteBuffer.wrap(data), offset);
        }
    }
}
