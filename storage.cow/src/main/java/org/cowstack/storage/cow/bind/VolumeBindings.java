package org.cowstack.storage.cow.bind;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.dio.DioStrategy;

/**
 * The services one mounted volume is bound to, and the gate that lets them be swapped
 * under it while it runs (DESIGN 3, "Hot swap, precisely").
 *
 * <p>Every operation of the volume {@linkplain #enter enters} the gate, shared, for its
 * whole call, once the services it needs are bound: while one is missing it waits, at
 * most the suspend timeout, and then fails with {@link SuspendedException} naming what
 * is missing, having changed nothing. A binding is only ever removed with the gate held
 * exclusively ({@link #exclusive}), after the operations in flight have finished and
 * after the volume committed with the departing service: so a service an operation
 * found at its start serves it to its end, and nothing of a departed bundle is used, or
 * kept, once its unbind returns. A binding is added, or replaced by a service of the
 * same name, at any time: the next operation uses it.
 *
 * <p>Buffered writes that land in the cache ({@link #enterCached}) pass a gate of their
 * own and need only the device and the policy: the removal of the algorithm or the
 * strategy lets them go on while the volume commits with the departing service and holds
 * them off only for the unbind itself, so writers do not stall while {@code storage.csum}
 * is updated. What such a write needs of the algorithm after all it waits for in place
 * ({@link #await}).
 */
public final class VolumeBindings {

    /** A kind of service a volume is bound to. */
    public enum Service {
        DEVICE, CHECKSUM, POLICY, STRATEGY
    }

    /** What reading needs: the device, and the algorithm that verifies data and metadata. */
    public static final Set<Service> READ = EnumSet.of(Service.DEVICE, Service.CHECKSUM);
    /** What a change needs besides: the allocation policy (metadata nodes are copied on write). */
    public static final Set<Service> CHANGE = EnumSet.of(Service.DEVICE, Service.CHECKSUM, Service.POLICY);
    /** What a direct write needs besides: the DIO strategy. */
    public static final Set<Service> DIRECT = EnumSet.allOf(Service.class);
    /**
     * What a buffered write that lands in the cache needs: the device and the allocation
     * policy (deciding whether a block of a NOCOW file or a preallocated extent goes in
     * place applies the reference-count ledger, which may copy a metadata node; the size
     * and times stay in memory, see {@code Inodes.grow}), not the algorithm, which only writeback, commit and reads that miss use. Such a write
     * that meets one of those after all waits for the algorithm where it is ({@link #await}).
     */
    public static final Set<Service> CACHED = EnumSet.of(Service.DEVICE, Service.POLICY);

    private final String volume;
    private final String deviceScheme;
    private final String checksumName;
    /** Operations share it; removing a binding takes it exclusively. Reentrant both ways. */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    /**
     * Buffered writes to the cache share it instead ({@link #enterCached}); every removal
     * takes it exclusively too, that of the algorithm or the strategy only to unbind.
     */
    private final ReentrantReadWriteLock cached = new ReentrantReadWriteLock();
    /** Signalled when a binding arrives or the volume closes; guards nothing else. */
    private final Object arrivals = new Object();

    private volatile BlockDevice device;
    private final java.util.concurrent.atomic.AtomicLong deviceEpoch = new java.util.concurrent.atomic.AtomicLong();
    private volatile ChecksumAlgorithm checksum;
    private volatile AllocationPolicy policy;
    private volatile String policyName;
    private volatile DioStrategy strategy;
    private volatile String strategyName;
    private volatile long timeoutNanos;
    private volatile boolean closed;

    public VolumeBindings(String volume, String deviceScheme, String checksumName, long timeoutMillis) {
        this.volume = volume;
        this.deviceScheme = deviceScheme;
        this.checksumName = checksumName;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    // ------------------------------------------------------------------ entering

    /**
     * Waits until every service in {@code needs} is bound and enters the gate; the caller
     * must {@link #exit} in a finally block. An operation already inside (a nested call)
     * does not wait at the gate: the swap waiting for it to finish would wait for it. It
     * waits in place for a service it was admitted without ({@link #await}); a cached
     * write's nested operation stays inside the cached writes' gate.
     *
     * @throws SuspendedException when one stays missing for the suspend timeout
     * @throws OfflineException   when the volume is unmounted meanwhile
     */
    public void enter(Set<Service> needs) throws IOException {
        boolean inMain = gate.getReadHoldCount() > 0 || gate.isWriteLockedByCurrentThread();
        if (inMain || cached.getReadHoldCount() > 0) {
            Lock held = inMain ? gate.readLock() : cached.readLock();
            held.lock();
            Service missing = missing(needs);
            while (missing != null) {
                try {
                    await(missing); // inside an operation admitted without it: see await
                } catch (IOException | RuntimeException e) {
                    held.unlock();
                    throw e;
                }
                missing = missing(needs);
            }
            return;
        }
        enterOutside(needs, gate.readLock());
    }

    /**
     * Enters as a buffered write that lands in the cache ({@link #CACHED}): through a gate
     * of its own, which the removal of the algorithm or the strategy does not close while
     * it commits (see {@link #exclusive(boolean, Exclusive)}), so such writes go on while
     * {@code storage.csum} is updated. The caller must {@link #exit} in a finally block.
     */
    public void enterCached() throws IOException {
        if (gate.getReadHoldCount() > 0 || gate.isWriteLockedByCurrentThread() || cached.getReadHoldCount() > 0) {
            enter(CACHED);
            return;
        }
        enterOutside(CACHED, cached.readLock());
    }

    private void enterOutside(Set<Service> needs, Lock lock) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        for (;;) {
            if (closed) {
                throw new OfflineException("volume " + volume);
            }
            Service missing = missing(needs);
            if (missing == null) {
                lock.lock();
                if (missing(needs) == null && !closed) {
                    return;
                }
                lock.unlock(); // removed between the look and the lock: wait again
                continue;
            }
            synchronized (arrivals) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw suspended(missing);
                }
                if (missing(needs) != null && !closed) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(arrivals, left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        InterruptedIOException ie = new InterruptedIOException("interrupted while volume " + volume
                                + " waited for " + describe(missing));
                        ie.initCause(e);
                        throw ie;
                    }
                }
            }
        }
    }

    /**
     * Enters only if every service in {@code needs} is bound now: for work that can as
     * well be skipped, such as the commit interval's commit.
     */
    public boolean tryEnter(Set<Service> needs) {
        if (closed || missing(needs) != null) {
            return false;
        }
        gate.readLock().lock();
        if (closed || missing(needs) != null) {
            gate.readLock().unlock();
            return false;
        }
        return true;
    }

    /** Leaves the gate entered last: the operations' own, or the cached writes'. */
    public void exit() {
        if (gate.getReadHoldCount() > 0) {
            gate.readLock().unlock();
        } else {
            cached.readLock().unlock();
        }
    }

    /**
     * Waits, inside the gate, for {@code s} to be bound, and answers it: for an operation
     * admitted without it ({@link #CACHED}) that needs it after all (a metadata node or a
     * block to read that is not in memory, a writeback when the dirty allowance is spent).
     * Only a service whose arrival does not take the gate exclusively can be waited for
     * here: the algorithm, the policy, the strategy; not the device, nor anything by the
     * thread that holds the gate exclusively (it would wait for itself). Those fail at once,
     * as does a missing service once the suspend timeout has passed.
     *
     * @throws SuspendedException when it stays missing for the suspend timeout
     * @throws OfflineException   when the volume is unmounted meanwhile
     */
    public Object await(Service s) throws IOException {
        Object bound = bound(s);
        if (bound != null) {
            return bound;
        }
        if (s == Service.DEVICE || gate.isWriteLockedByCurrentThread()
                || gate.getReadHoldCount() == 0 && cached.getReadHoldCount() == 0) {
            throw suspended(s);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (arrivals) {
            while ((bound = bound(s)) == null) {
                if (closed) {
                    throw new OfflineException("volume " + volume);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw suspended(s);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(arrivals, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    InterruptedIOException ie = new InterruptedIOException("interrupted while volume " + volume
                            + " waited for " + describe(s));
                    ie.initCause(e);
                    throw ie;
                }
            }
        }
        return bound;
    }

    /** Work done with the gate held exclusively. */
    @FunctionalInterface
    public interface Exclusive<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} once the operations in flight have finished, with new ones held
     * at the gate: what removing a binding needs. The thread may enter the gate meanwhile
     * (a commit inside the work).
     */
    public <T> T exclusive(Exclusive<T> work) throws IOException {
        return exclusive(false, work);
    }

    /**
     * As {@link #exclusive(Exclusive)}; with {@code besideCached}, buffered writes to the
     * cache ({@link #enterCached}) go on while {@code work} runs: for the removal of a
     * service they are admitted without (the algorithm, the strategy), whose commit they
     * need not wait for. The work then removes the binding inside {@link #cachedHeld},
     * which waits for those in flight, so that none uses the departing service after.
     */
    public <T> T exclusive(boolean besideCached, Exclusive<T> work) throws IOException {
        gate.writeLock().lock();
        try {
            return besideCached ? work.run() : cachedHeld(work);
        } finally {
            gate.writeLock().unlock();
            signal();
        }
    }

    /** Runs {@code work} with the buffered writes to the cache held off (those in flight finished). */
    public <T> T cachedHeld(Exclusive<T> work) throws IOException {
        cached.writeLock().lock();
        try {
            return work.run();
        } finally {
            cached.writeLock().unlock();
        }
    }

    private void signal() {
        synchronized (arrivals) {
            arrivals.notifyAll();
        }
    }

    // ------------------------------------------------------------------ what is bound

    /** The first service of {@code needs} that is missing, or null. */
    public Service missing(Set<Service> needs) {
        for (Service s : needs) {
            if (bound(s) == null) {
                return s;
            }
        }
        return null;
    }

    public Object bound(Service s) {
        return switch (s) {
            case DEVICE -> device;
            case CHECKSUM -> checksum;
            case POLICY -> policy;
            case STRATEGY -> strategy;
        };
    }

    /** Every service of {@code needs} that is missing, as {@code storage:volumes} names them; empty when none. */
    public List<String> missingNames(Set<Service> needs) {
        List<String> out = new ArrayList<>();
        for (Service s : needs) {
            if (bound(s) == null) {
                out.add(describe(s));
            }
        }
        return out;
    }

    /** How a service is named to a user: {@code checksum crc32c}, {@code device backend file:}. */
    public String describe(Service s) {
        return switch (s) {
            case DEVICE -> "device backend " + deviceScheme + ":";
            case CHECKSUM -> "checksum " + checksumName;
            case POLICY -> "allocation policy " + policyName;
            case STRATEGY -> "DIO strategy " + strategyName;
        };
    }

    private SuspendedException suspended(Service missing) {
        return new SuspendedException(volume, describe(missing));
    }

    public BlockDevice device() {
        return device;
    }

    public ChecksumAlgorithm checksum() {
        return checksum;
    }

    public AllocationPolicy policy() {
        return policy;
    }

    public String policyName() {
        return policyName;
    }

    public DioStrategy strategy() {
        return strategy;
    }

    public String strategyName() {
        return strategyName;
    }

    /** From the next operation on: one already waiting keeps the deadline it started with. */
    public void timeoutMillis(long millis) {
        timeoutNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    // ------------------------------------------------------------------ binding

    /*
     * A setter that may remove a binding (null, or a service of another name while
     * operations use the old one) is called only inside exclusive(); one that adds a
     * binding may be called at any time.
     */

    public void device(BlockDevice d) {
        device = d;
        deviceEpoch.incrementAndGet();
        signal();
    }

    /** Changes each time a device is bound or unbound: what was shown of the device's memory before belongs to another epoch. */
    public long deviceEpoch() {
        return deviceEpoch.get();
    }

    public void checksum(ChecksumAlgorithm a) {
        checksum = a;
        signal();
    }

    /**
     * Binds the policy of that name (null while none is installed): the name is what the
     * volume waits for. A new policy applies from the next allocation; one operation may
     * allocate with both, which changes nothing but where its blocks go.
     */
    public void policy(String name, AllocationPolicy p) {
        policyName = name;
        policy = p;
        signal();
    }

    public void strategy(String name, DioStrategy s) {
        strategyName = name;
        strategy = s;
        signal();
    }

    /** The volume is unmounted: waiters give up, and no operation enters again. */
    public void close() {
        closed = true;
        signal();
    }

    public boolean closed() {
        return closed;
    }
}
