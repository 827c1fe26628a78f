package org.cowstack.storage.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeManager;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The stall writers see while {@code storage.csum} is updated (stop, new revision, start)
 * in a running Felix with SCR and Config Admin, the stack's bundles as they ship, on a
 * crc32c {@code file:} volume. Two <em>buffered</em> writers rewrite 64 KiB pieces of
 * their own 8 MiB files over and over, never fsyncing, so their dirty data stays within
 * the dirty allowance (half the 64 MiB default cache); each pauses 1 ms between writes
 * (a guest's stream, not a spin: two spinning writers on two cores would measure the
 * scheduler). A third writer appends 64 KiB writes to its own file and fsyncs every 16
 * (a commit, which needs the checksum). Each invocation is one update; its stall is the
 * longest call that was in flight during the update or finished after it began,
 * reported per update as two counters: {@code stallMillis} for the buffered writers'
 * writes, {@code fsyncStallMillis} for the fsyncing writer's writes and fsyncs (the
 * primary score is the update itself). The API packages come from the class path (the
 * system bundle exports them), so this code and the bundles share one
 * {@code VolumeManager} type.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 100)
@Fork(1)
public class HotSwapBenchmark {
    static final int BUFFERED_WRITERS = 2;
    static final int WRITE = 64 << 10;
    /** What each buffered writer rewrites: two of them dirty 16 MiB at most. */
    static final long BUFFERED_REGION = 8L << 20;

    @State(Scope.Benchmark)
    public static class Stack {
        Framework framework;
        Bundle csum;
        Volume volume;
        final List<Writer> writers = new ArrayList<>();

        @Setup(Level.Trial)
        public void start() throws Exception {
            Path home = Workspace.dir().resolve("hotswap");
            Workspace.deleteTree(home);
            Path bundles = Path.of(System.getProperty("bench.bundles", "target/bundles"));
            Path api = jar(bundles, "storage.api");
            Map<String, String> config = new HashMap<>();
            config.put(Constants.FRAMEWORK_STORAGE, home.resolve("framework").toString());
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                    exports(api) + ",com.sun.nio.file,jdk.nio.mapmode,sun.misc");
            config.put("ds.loglevel", "warn");
            framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                    .newFramework(config);
            framework.start();
            BundleContext context = framework.getBundleContext();
            List<Bundle> installed = new ArrayList<>();
            try (Stream<Path> jars = Files.list(bundles)) {
                for (Path jar : jars.filter(p -> p.toString().endsWith(".jar") && !p.equals(api)).sorted().toList()) {
                    installed.add(context.installBundle(jar.toUri().toString()));
                }
            }
            for (Bundle b : installed) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    b.start();
                }
                if ("storage.csum".equals(b.getSymbolicName())) {
                    csum = b;
                }
            }
            ServiceTracker<VolumeManager, VolumeManager> tracker = new ServiceTracker<>(context, VolumeManager.class,
                    null);
            // All services: the manager is also registered as a storage.cow type, which the
            // class path (the system bundle's loader) holds in another copy, so the
            // class-space filter of open() would hide it. VolumeManager itself is shared.
            tracker.open(true);
            VolumeManager manager = tracker.waitForService(30_000);
            if (manager == null || csum == null) {
                StringBuilder states = new StringBuilder();
                for (Bundle b : context.getBundles()) {
                    states.append(' ').append(b.getSymbolicName()).append('=').append(b.getState());
                }
                throw new IllegalStateException("no VolumeManager after 30 s, or no storage.csum in " + bundles
                        + "; bundle states (32 = active):" + states);
            }
            URI image = home.resolve("swap.img").toUri();
            manager.mkfs(image, FormatOptions.defaults().size(1L << 30));
            volume = manager.mount("swap", image, MountOptions.defaults());
            for (int i = 0; i < BUFFERED_WRITERS; i++) {
                writers.add(new Writer(volume.open("/w" + i, Workspace.CREATE_WRITE), BUFFERED_REGION, 0));
            }
            writers.add(new Writer(volume.open("/fsync", Workspace.CREATE_WRITE), 256L << 20, 16));
            writers.forEach(Thread::start);
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            for (Writer w : writers) {
                w.interrupt();
                w.join(10_000);
            }
            for (Writer w : writers) {
                w.file.close();
                if (w.failure != null) {
                    throw new IllegalStateException("a writer failed", w.failure);
                }
            }
            framework.stop();
            framework.waitForStop(30_000);
            Workspace.deleteTree(Workspace.dir().resolve("hotswap"));
        }
    }

    /** Per invocation: the longest call in flight during the update, in ms, by kind of writer. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Stall {
        /** The buffered writers' longest write. */
        public double stallMillis;
        /** The fsyncing writer's longest write or fsync. */
        public double fsyncStallMillis;
    }

    /** Writes 64 KiB pieces over {@code region} bytes of its file, in a loop; fsyncs every {@code fsyncEvery} (0: never). */
    static final class Writer extends Thread {
        final FileHandle file;
        final long region;
        final int fsyncEvery;
        final ByteBuffer data = Workspace.pattern(WRITE, false, 8);
        final AtomicLong longestSince = new AtomicLong();
        volatile long windowStart = Long.MAX_VALUE;
        volatile long completedAt;
        volatile Throwable failure;

        Writer(FileHandle file, long region, int fsyncEvery) {
            super(fsyncEvery == 0 ? "bench-buffered-writer" : "bench-fsync-writer");
            setDaemon(true);
            this.file = file;
            this.region = region;
            this.fsyncEvery = fsyncEvery;
        }

        boolean buffered() {
            return fsyncEvery == 0;
        }

        @Override
        public void run() {
            long offset = 0;
            try {
                for (int n = 0; !isInterrupted(); n++) {
                    long start = System.nanoTime();
                    file.write(data.clear(), offset);
                    if (!buffered() && n % fsyncEvery == fsyncEvery - 1) {
                        file.fsync();
                    }
                    long end = System.nanoTime();
                    if (end >= windowStart) {
                        longestSince.accumulateAndGet(end - start, Math::max);
                    }
                    completedAt = end;
                    offset = (offset + WRITE) % region;
                    if (buffered()) {
                        Thread.sleep(1);
                    }
                }
            } catch (InterruptedException e) {
                // stopped
            } catch (Throwable e) {
                if (!isInterrupted()) {
                    failure = e;
                }
            }
        }
    }

    @Benchmark
    public void updateCsum(Stack stack, Stall stall) throws BundleException, InterruptedException {
        long start = System.nanoTime();
        for (Writer w : stack.writers) {
            w.longestSince.set(0);
            w.windowStart = start;
        }
        stack.csum.update();
        long updated = System.nanoTime();
        for (Writer w : stack.writers) {
            while (w.completedAt < updated && w.failure == null) {
                Thread.sleep(1);
            }
            if (w.failure != null) {
                throw new IllegalStateException("a writer failed", w.failure);
            }
        }
        long buffered = 0;
        long fsyncing = 0;
        for (Writer w : stack.writers) {
            w.windowStart = Long.MAX_VALUE;
            if (w.buffered()) {
                buffered = Math.max(buffered, w.longestSince.get());
            } else {
                fsyncing = Math.max(fsyncing, w.longestSince.get());
            }
        }
        stall.stallMillis = buffered / 1e6;
        stall.fsyncStallMillis = fsyncing / 1e6;
    }

    static Path jar(Path dir, String symbolicName) throws IOException {
        try (Stream<Path> jars = Files.list(dir)) {
            return jars.filter(p -> p.getFileName().toString().startsWith(symbolicName + "-")).findFirst()
                    .orElseThrow(() -> new IOException("no " + symbolicName + " jar in " + dir
                            + " (built by mvn package -pl storage.bench -am)"));
        }
    }

    /** The bundle's Export-Package header, for the system bundle to export instead. */
    static String exports(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
        }
    }
}
