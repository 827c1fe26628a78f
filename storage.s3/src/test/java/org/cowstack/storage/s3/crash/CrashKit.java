package org.cowstack.storage.s3.crash;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.cow.inspect.Check;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.dio.Bounce;
import org.cowstack.storage.dio.Buffered;
import org.cowstack.storage.dio.Direct;
import org.cowstack.storage.dio.NoDataSum;
import org.cowstack.storage.dio.Verify;
import org.cowstack.storage.s3.client.S3Client;
import org.cowstack.storage.s3.client.S3Proxy;
import org.cowstack.storage.s3.device.S3DeviceProvider;
import org.cowstack.storage.s3.device.S3Store;

/**
 * The engine on {@code s3:} devices for the crash tests: stores, mkfs, mount, the offline
 * check, and whole-volume reads (every file by path) to compare with a model.
 */
final class CrashKit {
    /** What OSGi would provide to the engine. */
    static final VolumeServices SERVICES = VolumeServices.of(List.of(new Crc32c()), List.of(new FirstFit()),
            List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct()));
    static final int OBJECT = 64 << 10;
    static final Set<StandardOpenOption> RW = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);

    private CrashKit() {
    }

    /** {@code -Dstorage.s3.crash.seed=N}, or a fresh seed (the caller prints it). */
    static long seed() {
        String fixed = System.getProperty("storage.s3.crash.seed");
        return fixed != null && !fixed.isBlank() ? Long.parseLong(fixed.trim())
                : java.util.concurrent.ThreadLocalRandom.current().nextLong();
    }

    /** A store {@code t} at {@code endpoint}, bucket {@code bucket}, prefix {@code p}, 64 KiB objects. */
    static S3Store store(URI endpoint, Path cacheDir, long cacheBytes) {
        return store(endpoint, cacheDir, cacheBytes, S3Store.DEFAULT_RETAIN);
    }

    /** As above, replaced objects kept {@code retain} generations (then a flush deletes them). */
    static S3Store store(URI endpoint, Path cacheDir, long cacheBytes, int retain) {
        return new S3Store("t", endpoint, "us-east-1", "bucket", "p", OBJECT, cacheBytes, cacheDir, 8, retain,
                S3Proxy.CREDENTIALS);
    }

    static S3DeviceProvider provider(S3Store store) {
        S3DeviceProvider p = new S3DeviceProvider();
        p.addStore(store);
        return p;
    }

    /** The engine's mkfs on a new device {@code uri} of {@code size} bytes; closed cleanly (a committed, empty volume). */
    static void mkfs(S3DeviceProvider provider, URI uri, long size) throws IOException {
        try (BlockDevice d = provider.open(uri, OpenOptions.create(size))) {
            CowVolume.format(d, FormatOptions.defaults().size(size), SERVICES, "first-fit");
        }
    }

    /** A mounted volume and the device under it (kept to show that an abandoned device writes no more). */
    record Mounted(CowVolume volume, BlockDevice device) {
    }

    static Mounted mount(S3DeviceProvider provider, URI uri) throws IOException {
        BlockDevice d = provider.open(uri, OpenOptions.readWrite());
        try {
            return new Mounted(CowVolume.mount("crash", uri, d, SERVICES, MountOptions.defaults(), 16L << 20), d);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** {@code storage:check} of the committed image, read-only: the problems it finds (empty: clean). */
    static List<String> offlineCheck(S3DeviceProvider provider, URI uri) throws IOException {
        try (BlockDevice d = provider.open(uri, OpenOptions.readOnly())) {
            Check.Result r = CowVolume.check(d, SERVICES);
            return r.clean() ? List.of() : r.problems();
        }
    }

    /**
     * The objects the volume's manifest names that the store does not hold: the device's
     * commit rule (every object a manifest names was stored before it), checked without
     * the device's code: the manifest is decoded here from its documented layout
     * ({@code Manifest}: magic, format, size, block size, object size, generation, then
     * (index, version) pairs) and each key is asked for with a HEAD.
     */
    static List<String> missingObjects(URI endpoint, String prefix) throws IOException {
        S3Client s3 = new S3Client(endpoint, "us-east-1", "bucket", S3Proxy.CREDENTIALS,
                new S3Client.Retry(3, java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(200)));
        byte[] manifest = s3.get(prefix + "manifest");
        if (manifest == null) {
            return List.of(prefix + "manifest");
        }
        ByteBuffer b = ByteBuffer.wrap(manifest);
        b.position(7 + 4 + 8 + 4 + 4 + 8);
        long count = b.getLong();
        List<String> missing = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            long index = b.getLong();
            long version = b.getLong();
            long h = index * 0x9E3779B97F4A7C15L;
            String key = prefix + String.format("%04x/%012x-%x", (int) (h >>> 48), index, version);
            if (s3.head(key) == null) {
                missing.add(key);
            }
        }
        return missing;
    }

    /** Every regular file of the volume by path, with its content. */
    static Map<String, byte[]> files(CowVolume v) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        walk(v, "/", out);
        return out;
    }

    private static void walk(CowVolume v, String dir, Map<String, byte[]> out) throws IOException {
        for (DirEntry e : v.list(dir)) {
            String path = (dir.equals("/") ? "" : dir) + "/" + e.name();
            if (e.directory()) {
                walk(v, path, out);
            } else {
                out.put(path, readAll(v, path));
            }
        }
    }

    static byte[] readAll(CowVolume v, String path) throws IOException {
        try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
            long size = f.size();
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size));
            while (b.hasRemaining()) {
                if (f.read(b, b.position()) < 0) {
                    throw new IOException(path + ": end of file at " + b.position() + " of " + size);
                }
            }
            return b.array();
        }
    }

    static void write(CowVolume v, String path, long offset, byte[] data) throws IOException {
        try (FileHandle f = v.open(path, RW)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            long at = offset;
            while (b.hasRemaining()) {
                at += f.write(b, at);
            }
        }
    }

    /** A deep copy of a model (file contents are replaced, never changed in place, but be safe). */
    static Map<String, byte[]> copy(Map<String, byte[]> files) {
        Map<String, byte[]> out = new TreeMap<>();
        files.forEach((k, b) -> out.put(k, b.clone()));
        return out;
    }

    static boolean same(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : a.entrySet()) {
            if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** How {@code found} differs from {@code expected}, in one line. */
    static String difference(Map<String, byte[]> expected, Map<String, byte[]> found) {
        List<String> out = new ArrayList<>();
        Set<String> paths = new TreeSet<>(expected.keySet());
        paths.addAll(found.keySet());
        for (String p : paths) {
            byte[] e = expected.get(p);
            byte[] f = found.get(p);
            if (e == null) {
                out.add(p + " should not exist (" + f.length + " bytes)");
            } else if (f == null) {
                out.add(p + " missing (" + e.length + " bytes expected)");
            } else if (!Arrays.equals(e, f)) {
                out.add(p + " differs (" + f.length + " bytes, " + e.length + " expected, first difference at "
                        + Arrays.mismatch(e, f) + ")");
            }
        }
        return out.isEmpty() ? "same" : String.join("; ", out);
    }

    static String describe(Map<String, byte[]> files) {
        List<String> out = new ArrayList<>();
        files.forEach((p, b) -> out.add(p + ":" + b.length));
        return out.toString();
    }
}
