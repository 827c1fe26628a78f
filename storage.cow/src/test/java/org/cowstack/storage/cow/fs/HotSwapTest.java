package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.cowstack.storage.alloc.BestFit;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DirectWrite;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.cowstack.storage.cow.bind.VolumeBindings;
import org.cowstack.storage.cow.bind.VolumeServices;

/**
 * DESIGN 3, "Hot swap, precisely", at the engine: a service going away is committed
 * with and then unbound; operations that need it wait for a replacement, at most the
 * suspend timeout, and fail with SuspendedException naming it; a replacement resumes the
 * volume; nothing of the departed service stays referenced.
 */
class HotSwapTest {
    private static final byte[] DATA = pattern(64 << 10);

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }

    private static CowVolume fresh(Duration timeout) throws IOException {
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:swap-" + System.nanoTime());
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        return vs.mount(uri, MountOptions.defaults().suspendTimeout(timeout));
    }

    private static ChecksumAlgorithm crc32c() {
        return Volumes.SERVICES.checksum("crc32c");
    }

    /** An operation on a thread of its own, so that the test can see where it waits. */
    private record Running<T>(Thread thread, FutureTask<T> task) {
        /**
         * Waits, at most 10 s, until the operation is parked (WAITING or TIMED_WAITING)
         * inside {@code VolumeBindings.<method>}: that it waits in the volume's gate, where
         * a sleep would only show that it had not finished yet. Fails at once when it
         * finishes (or fails) instead.
         */
        void awaitWaitingIn(String method) throws InterruptedException {
            String gate = VolumeBindings.class.getName() + "." + method;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (;;) {
                if (task.isDone()) {
                    fail(thread.getName() + " did not wait in " + gate + ": it " + outcome());
                }
                Thread.State before = thread.getState();
                StackTraceElement[] stack = thread.getStackTrace();
                Thread.State after = thread.getState();
                if (parked(before) && parked(after) && Arrays.stream(stack).anyMatch(
                        f -> (f.getClassName() + "." + f.getMethodName()).equals(gate))) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    fail(thread.getName() + " was not waiting in " + gate + " after 10 s: " + after + " at\n\t"
                            + Arrays.stream(stack).map(String::valueOf).collect(Collectors.joining("\n\t")));
                }
                Thread.sleep(1);
            }
        }

        private static boolean parked(Thread.State s) {
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
        }

        private String outcome() throws InterruptedException {
            try {
                T value = task.get();
                return "returned " + (value instanceof byte[] b ? b.length + " bytes" : value);
            } catch (ExecutionException e) {
                return "failed with " + e.getCause();
            }
        }
    }

    private static <T> Running<T> start(String name, Callable<T> op) {
        FutureTask<T> task = new FutureTask<>(op);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return new Running<>(t, task);
    }

    @Test
    void aDepartingChecksumIsCommittedWithThenOperationsWaitAndFailNamingIt() throws Exception {
        CowVolume v = fresh(Duration.ofMillis(200));
        Volumes.write(v, "/f", 0, DATA);
        long generation = v.committedGeneration();
        assertTrue(v.swap().checksumGone(crc32c(), null));
        assertTrue(v.committedGeneration() > generation, "the dirty data was committed inside the unbind");
        assertEquals(VolumeState.SUSPENDED, v.state());
        assertEquals("checksum crc32c", v.waitingFor());
        long start = System.nanoTime();
        SuspendedException e = assertThrows(SuspendedException.class, () -> Volumes.readAll(v, "/f"));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("volume test is suspended, waiting for checksum crc32c", e.getMessage());
        assertTrue(waited >= 150 && waited < 5_000, "waited about the timeout: " + waited + " ms");
        assertTrue(v.swap().checksumArrived(0, new Crc32c()));
        assertEquals(VolumeState.MOUNTED, v.state());
        assertArrayEquals(DATA, Volumes.readAll(v, "/f"));
        v.unmount();
    }

    @Test
    void anOperationWaitingForTheChecksumContinuesWhenAReplacementArrives() throws Exception {
        CowVolume v = fresh(Duration.ofSeconds(30));
        Volumes.write(v, "/f", 0, DATA);
        assertTrue(v.swap().checksumGone(crc32c(), null));
        assertEquals(VolumeState.SUSPENDED, v.state());
        Running<byte[]> read = start("read of /f", () -> Volumes.readAll(v, "/f"));
        read.awaitWaitingIn("enter");
        assertFalse(read.task().isDone(), "the read waits for the algorithm");
        assertTrue(v.swap().checksumArrived(0, new Crc32c()));
        assertArrayEquals(DATA, read.task().get(10, TimeUnit.SECONDS));
        v.unmount();
    }

    @Test
    void withoutTheAllocationPolicyReadsGoOnAndWritesWait() throws Exception {
        CowVolume v = fresh(Duration.ofMillis(100));
        Volumes.write(v, "/f", 0, DATA);
        AllocationPolicy firstFit = Volumes.SERVICES.allocationPolicy("first-fit");
        assertTrue(v.swap().policyGone(firstFit, null));
        assertEquals(VolumeState.SUSPENDED, v.state());
        assertEquals("allocation policy first-fit", v.waitingFor());
        assertArrayEquals(DATA, Volumes.readAll(v, "/f"), "reading needs no policy");
        SuspendedException e = assertThrows(SuspendedException.class, () -> Volumes.write(v, "/g", 0, DATA));
        assertEquals("allocation policy first-fit", e.missing());
        assertFalse(v.swap().policyArrived("best-fit", new BestFit()), "a policy of another name is not what it waits for");
        assertTrue(v.swap().policyArrived("first-fit", firstFit));
        Volumes.write(v, "/g", 0, DATA);
        v.unmount();
    }

    @Test
    void theUnbindWaitsForTheOperationUsingTheServiceAndThatOperationFinishesWithIt() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DioStrategy slow = new DioStrategy() {
            @Override
            public String name() {
                return "slow";
            }

            @Override
            public DioMode choose(DirectWrite write) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return DioMode.BOUNCE;
            }
        };
        Volumes vs = Volumes.mem();
        URI uri = URI.create("mem:slow");
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        BlockDevice d = vs.provider.open(uri, OpenOptions.readWrite());
        VolumeServices services = VolumeServices.of(java.util.List.of(new Crc32c()),
                java.util.List.of(Volumes.SERVICES.allocationPolicy("first-fit")), java.util.List.of(slow));
        CowVolume v = CowVolume.mount("test", uri, d, services, MountOptions.defaults().dioStrategy("slow"),
                CowVolume.DEFAULT_CACHE_BYTES);
        Running<Integer> write = start("direct write of /d", () -> {
            try (FileHandle f = v.open("/d", Volumes.RW)) {
                return f.writeDirect(ByteBuffer.wrap(DATA), 0);
            }
        });
        Running<Boolean> unbind;
        try {
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            unbind = start("unbind of the strategy", () -> v.swap().strategyGone(slow, null));
            unbind.awaitWaitingIn("exclusive");
            assertFalse(unbind.task().isDone(), "the unbind waits for the write that uses the strategy");
            assertFalse(write.task().isDone(), "the write is still inside the strategy");
        } finally {
            release.countDown(); // and on a failure, lets the write leave the gate
        }
        assertEquals(DATA.length, write.task().get(10, TimeUnit.SECONDS));
        assertTrue(unbind.task().get(10, TimeUnit.SECONDS));
        assertEquals("DIO strategy slow", v.waitingFor());
        assertArrayEquals(DATA, Volumes.readAll(v, "/d"), "buffered reads and writes need no strategy");
        v.unmount();
    }

    @Test
    void aDeviceBackendGoingAwayTakesTheVolumeOfflineAndItsReturnResumesIt(@TempDir Path dir) throws Exception {
        Volumes vs = new Volumes(new FileDeviceProvider());
        URI uri = dir.resolve("v.img").toUri();
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        CowVolume v = vs.mount(uri, MountOptions.defaults().suspendTimeout(Duration.ofMillis(100)));
        try (FileHandle f = v.open("/kept-open", Volumes.RW)) {
            f.write(ByteBuffer.wrap(DATA), 0);
            assertTrue(v.swap().deviceGone());
            assertEquals(VolumeState.OFFLINE, v.state());
            assertEquals("device backend file:", v.waitingFor());
            assertThrows(SuspendedException.class, () -> f.read(ByteBuffer.allocate(10), 0));
            // What was written before the backend went is on the device: a fresh mount of a copy sees it.
            Path copy = Files.copy(dir.resolve("v.img"), dir.resolve("copy.img"));
            CowVolume probe = vs.mount(copy.toUri(), MountOptions.defaults().readOnly(true));
            assertArrayEquals(DATA, Volumes.readAll(probe, "/kept-open"));
            probe.unmount();
            assertTrue(v.swap().deviceArrived(vs.provider.open(uri, OpenOptions.readWrite())));
            assertEquals(VolumeState.MOUNTED, v.state());
            ByteBuffer back = ByteBuffer.allocate(DATA.length);
            f.read(back, 0);
            assertArrayEquals(DATA, back.array(), "the open file works on");
        }
        v.unmount();
    }

    @Test
    void aDeviceThatComesBackWithOtherContentIsRefused(@TempDir Path dir) throws Exception {
        Volumes vs = new Volumes(new FileDeviceProvider());
        URI uri = dir.resolve("v.img").toUri();
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults());
        CowVolume v = vs.mount(uri);
        assertTrue(v.swap().deviceGone());
        vs.mkfs(uri, 32 << 20, FormatOptions.defaults()); // formatted again while it was away
        BlockDevice other = vs.provider.open(uri, OpenOptions.readWrite());
        assertFalse(v.swap().deviceArrived(other));
        other.close();
        assertEquals(VolumeState.OFFLINE, v.state());
        v.abandon();
    }

    @Test
    void nothingOfADepartedServiceStaysReferenced() throws Exception {
        CowVolume v = fresh(Duration.ofSeconds(5));
        Crc32c departing = new Crc32c();
        assertFalse(v.swap().checksumArrived(departing.id(), departing), "the volume has its algorithm already");
        v.swap().checksumGone(crc32c(), null);
        assertTrue(v.swap().checksumArrived(departing.id(), departing));
        Volumes.write(v, "/f", 0, DATA);
        v.sync();
        WeakReference<ChecksumAlgorithm> gone = new WeakReference<>(departing);
        v.swap().checksumGone(departing, new Crc32c());
        departing = null;
        for (int i = 0; i < 50 && gone.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(gone.get(), "the volume keeps no reference to a checksum service after its unbind");
        assertArrayEquals(DATA, Volumes.readAll(v, "/f"));
        v.unmount();
    }
}
