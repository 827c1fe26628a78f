package org.cowstack.storage.cow.bind;

import java.io.IOException;

import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.dio.DioStrategy;

/**
 * Everything hot swap does to one volume: a service it uses goes (the volume commits
 * with it, then binds a replacement or waits), or comes (it is bound if the volume
 * waits for one of its name or id). The engine's manager fans these out to every
 * volume; this decides for one.
 */
public final class ServiceSwap {
    /** What the swap needs of the volume it works on. */
    public interface Host {
        /** Whether the volume holds changes it could commit now (mounted writable, not failed). */
        boolean hasChangesToCommit();

        /** Commits, with the services bound now. */
        void commit() throws IOException;

        /** Whether {@code device} holds exactly what the volume last committed (same file system, same generation). */
        boolean holdsLastCommit(BlockDevice device);
    }

    private final String volume;
    private final VolumeBindings bindings;
    private final BlockDevice geometry;
    private final ChecksumAlgorithm checksum;
    private final Host host;

    /**
     * @param geometry the volume's bound device, whose size and block size a returning
     *                 device must have
     * @param checksum the volume's bound algorithm, whose id a replacement must have
     */
    public ServiceSwap(String volume, VolumeBindings bindings, BlockDevice geometry, ChecksumAlgorithm checksum,
            Host host) {
        this.volume = volume;
        this.bindings = bindings;
        this.geometry = geometry;
        this.checksum = checksum;
        this.host = host;
    }

    /**
     * A service this volume uses is going away (its unbind): once the operations using
     * it have finished, the volume commits with it, then binds {@code replacement}, a
     * service of the same name or id, or nothing: operations that need it then wait
     * (SUSPENDED) until {@link #checksumArrived} or its like binds one.
     *
     * @return false when the volume was not bound to {@code gone}
     */
    public boolean checksumGone(ChecksumAlgorithm gone, ChecksumAlgorithm replacement) throws IOException {
        return unbind(VolumeBindings.Service.CHECKSUM, gone, () -> bindings.checksum(replacement));
    }

    /** As {@link #checksumGone}, for the allocation policy. */
    public boolean policyGone(AllocationPolicy gone, AllocationPolicy replacement) throws IOException {
        return unbind(VolumeBindings.Service.POLICY, gone,
                () -> bindings.policy(bindings.policyName(), replacement));
    }

    /** As {@link #checksumGone}, for the DIO strategy (which holds nothing to commit, but may be in use). */
    public boolean strategyGone(DioStrategy gone, DioStrategy replacement) throws IOException {
        return unbind(VolumeBindings.Service.STRATEGY, gone,
                () -> bindings.strategy(bindings.strategyName(), replacement));
    }

    /**
     * The device backend is going away (its unbind, while its devices are still open):
     * the volume commits, flushes and closes the device, and is OFFLINE until
     * {@link #deviceArrived} gives it the device again.
     */
    public boolean deviceGone() throws IOException {
        return unbind(VolumeBindings.Service.DEVICE, bindings.device(), () -> {
            BlockDevice d = bindings.device();
            bindings.device(null);
            try {
                d.flush();
            } finally {
                d.close();
            }
        });
    }

    @FunctionalInterface
    private interface Rebind {
        void run() throws IOException;
    }

    private boolean unbind(VolumeBindings.Service what, Object gone, Rebind rebind) throws IOException {
        if (gone == null) {
            return false;
        }
        // Buffered writes to the cache need neither the algorithm nor the strategy: they go on
        // while the volume commits with the departing one, and are held off only to unbind it.
        boolean besideCached = !VolumeBindings.CACHED.contains(what);
        return bindings.exclusive(besideCached, () -> {
            if (bindings.bound(what) != gone || bindings.closed()) {
                return false;
            }
            IOException notCommitted = null;
            if (host.hasChangesToCommit()) {
                if (bindings.missing(VolumeBindings.CHANGE) == null) {
                    try {
                        host.commit(); // with the departing service, still valid inside its unbind
                    } catch (IOException e) {
                        notCommitted = e;
                    }
                } else {
                    notCommitted = new SuspendedException(volume, String.join(", ",
                            bindings.missingNames(VolumeBindings.CHANGE)));
                }
            }
            bindings.cachedHeld(() -> {
                rebind.run();
                return null;
            });
            if (notCommitted != null) {
                // The data stays dirty in memory, for the commit once everything is back.
                throw notCommitted;
            }
            return true;
        });
    }

    /**
     * Binds an algorithm installed with the id {@code id} (its service property) if it is
     * the volume's id and the volume has none now; answers whether it did.
     */
    public boolean checksumArrived(int id, ChecksumAlgorithm a) {
        if (bindings.closed() || id != checksum.id() || bindings.checksum() != null) {
            return false;
        }
        bindings.checksum(a);
        return true;
    }

    /** Binds a policy installed under {@code name} (its service property) if the volume waits for that name. */
    public boolean policyArrived(String name, AllocationPolicy p) {
        if (bindings.closed() || !name.equals(bindings.policyName()) || bindings.policy() != null) {
            return false;
        }
        bindings.policy(name, p);
        return true;
    }

    /** Binds a strategy installed under {@code name} (its service property) if the volume waits for that name. */
    public boolean strategyArrived(String name, DioStrategy d) {
        if (bindings.closed() || !name.equals(bindings.strategyName()) || bindings.strategy() != null) {
            return false;
        }
        bindings.strategy(name, d);
        return true;
    }

    /**
     * The device backend is back: {@code d} is the device opened again. It is bound if it
     * still holds what this volume last committed (same file system, same generation);
     * the volume then resumes with its caches and open files as they were.
     *
     * @return false (and {@code d} is not used) when the volume is not offline, or the
     *         device holds something else: the caller mounts it afresh or gives up
     */
    public boolean deviceArrived(BlockDevice d) throws IOException {
        return bindings.exclusive(() -> {
            if (bindings.closed() || bindings.device() != null) {
                return false;
            }
            if (d.size() != geometry.size() || d.blockSize() != geometry.blockSize() || !host.holdsLastCommit(d)) {
                return false;
            }
            bindings.device(d);
            return true;
        });
    }
}
