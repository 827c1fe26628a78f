package org.cowstack.storage.cow.core;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.bind.BoundChecksum;
import org.cowstack.storage.cow.bind.BoundDevice;
import org.cowstack.storage.cow.bind.VolumeBindings;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.btree.NodeCodec;
import org.cowstack.storage.cow.cache.PageCache;
import org.cowstack.storage.cow.cache.ReadCache;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.meta.BackRefs;
import org.cowstack.storage.cow.meta.ChangeHook;
import org.cowstack.storage.cow.meta.Checksums;
import org.cowstack.storage.cow.meta.DamagedRanges;
import org.cowstack.storage.cow.meta.ErrorCounters;
import org.cowstack.storage.cow.meta.Extents;
import org.cowstack.storage.cow.meta.FreeSpaceTree;
import org.cowstack.storage.cow.meta.Inodes;
import org.cowstack.storage.cow.meta.MetadataStore;
import org.cowstack.storage.cow.meta.RefCounts;
import org.cowstack.storage.cow.meta.RefLedger;
import org.cowstack.storage.cow.meta.Trees;
import org.cowstack.storage.cow.space.Allocator;
import org.cowstack.storage.space.SpaceMap;

/**
 * What every room of a mounted volume shares: its identity and geometry, the services
 * it is bound to, its trees and their records, free space, the page cache, the change
 * hook, the locks, its mode (read-only or not) and whether it failed. The rooms (the
 * block-I/O path, range operations, the namespace, the inspections) each hold this and
 * nothing of each other's state; the facade, {@code CowVolume}, assembles them.
 *
 * <h2>Locks</h2>
 * In acquisition order: a file's lock ({@link #fileLocks}: orders writes to one file),
 * the {@link #commitLock} (one commit, or one writeback placing pages, at a time), the {@link #trees tree
 * lock} (shared by readers, exclusive for changes), then the page cache's and the space
 * map's monitors. The gate of {@link VolumeBindings} is outside them all: an operation
 * enters it first and leaves it last.
 */
public final class VolumeCore {
    /** Smallest metadata node: a node is at least 4 KiB, whatever the block size. */
    public static final int MIN_NODE_SIZE = 4096;
    /** Longest run of blocks one device read of file data covers: 4 MiB at 4 KiB blocks. */
    public static final int MAX_WRITE_RUN = 1024;
    private static final int CLEAN_NODE_LIMIT = 4096;
    /** The page cache (what writes stage) at most: the configured cache size goes to the {@link #readCache}. */
    public static final long PAGE_CACHE_BYTES = 64L << 20;

    public final String name;
    public final URI deviceUri;
    public final int blockSize;
    /** Blocks per metadata node. */
    public final int nodeBlocks;
    public final VolumeServices services;
    /** The services this volume is bound to, and the gate every operation passes. */
    public final VolumeBindings bindings;
    /** Device error counters (media errors counted by {@link #device}; checksum and generation errors by the reads). */
    public final ErrorCounters errors = new ErrorCounters();
    /** File ranges marked damaged: a read of one fails; a write covering it clears it (it hears {@link #changes}). */
    public final DamagedRanges damaged;
    /** The device bound now, as the engine keeps it (never the provider's object). */
    public final BoundDevice device;
    /** The algorithm bound now, as the engine keeps it. */
    public final BoundChecksum checksum;

    public final SpaceMap space;
    public final Allocator allocator;
    public final RefLedger ledger = new RefLedger();
    public final ChangeHook changes = new ChangeHook();
    /** Bad blocks found and repaired by the block-I/O path. */
    public final Healing healing = new Healing(errors);
    /** Rewrites of bad first copies of data that reads healed from second copies. */
    public final Repairs repairs;
    public final MetadataStore meta;
    public final Trees trees;
    public final FreeSpaceTree freeSpace;
    public final Checksums checksums;
    public final RefCounts refCounts;
    public final Extents extents;
    public final Inodes inodes;
    public final PageCache cache;
    /** Verified file data read from the device, of the configured cache size; told of every change by {@link #changes}. */
    public final ReadCache readCache;
    /** Who maps each physical block: kept by {@link #changes}, stored by every commit. */
    public final BackRefs backRefs;

    /** The tree lock: every tree access goes through it. */
    public final TreeLock treeLock;
    /** One commit (or writeback placing its pages) at a time; commits wait for writeback data in flight. */
    public final CommitLock commitLock = new CommitLock();
    public final FileLocks fileLocks = new FileLocks();
    /** What every commit stores for the rooms above the block-I/O path (dirty bitmaps). */
    public final List<CommitParticipant> participants = new CopyOnWriteArrayList<>();

    private volatile Superblock committed;
    /** The compatible features the next commit records (see {@link Superblock#COMPAT_BITMAPS_IN_USE}). */
    private volatile long compat;
    /** Guarded by the tree lock. */
    private long nextInode;
    private volatile boolean readOnly;
    /** Why the engine made the volume read-only by itself; null when it did not. */
    private volatile String readOnlyReason;
    /** Why the volume failed; null while it has not. */
    private volatile String failure;

    /**
     * Builds the shared state of a volume on {@code device} whose newest superblock is
     * {@code sb}; with {@code fresh}, the trees are created empty (mkfs).
     */
    public VolumeCore(String name, URI deviceUri, BlockDevice device, VolumeServices services,
            ChecksumAlgorithm checksum, String allocationPolicy, boolean readOnly, Superblock sb, boolean fresh,
            long cacheBytes) throws IOException {
        this.name = name;
        this.deviceUri = deviceUri;
        this.services = services;
        this.bindings = new VolumeBindings(name, deviceUri.getScheme(), checksum.name(),
                MountOptions.defaults().suspendTimeout().toMillis());
        this.device = new BoundDevice(bindings, device, errors);
        this.checksum = new BoundChecksum(bindings, checksum);
        bindings.device(device);
        bindings.checksum(checksum);
        bindings.policy(allocationPolicy, services.allocationPolicy(allocationPolicy));
        String strategy = MountOptions.defaults().dioStrategy();
        bindings.strategy(strategy, services.dioStrategy(strategy));
        this.readOnly = readOnly;
        this.blockSize = sb.blockSize;
        this.damaged = new DamagedRanges(blockSize);
        int nodeSize = Math.max(MIN_NODE_SIZE, blockSize);
        this.nodeBlocks = nodeSize / blockSize;
        this.committed = sb;
        this.compat = sb.compat;
        this.nextInode = sb.nextInode;
        this.space = new SpaceMap(name, blockSize, sb.totalBlocks,
                SpaceMap.defaultMetadataReserve(sb.totalBlocks, blockSize));
        space.dataCopies(sb.dataProfile.copies());
        this.allocator = new Allocator(name, blockSize, space, bindings, ledger, sb.dataProfile, sb.metadataProfile);
        this.treeLock = new TreeLock(deviceUri.toString(), () -> !this.readOnly, allocator);
        this.meta = new MetadataStore(name, checksum.name(), this.device,
                new NodeCodec(nodeSize, sb.uuid, this.checksum, sb.firstDataBlock(), sb.totalBlocks - nodeBlocks,
                        sb.metadataProfile.copies() > 1),
                blockSize, new MetadataStore.Blocks() {
                    @Override
                    public long[] allocateNode(int blocks) throws IOException {
                        return allocator.metadata(blocks);
                    }

                    @Override
                    public void nodeFreed(long block, int blocks) {
                        ledger.add(block, blocks, -1, false);
                    }
                }, sb.generation + 1, CLEAN_NODE_LIMIT, healing, () -> !this.readOnly);
        if (fresh) {
            space.addFree(sb.firstDataBlock(), sb.totalBlocks - sb.firstDataBlock());
            this.trees = Trees.create(meta);
        } else {
            this.trees = Trees.open(meta, sb);
        }
        this.freeSpace = new FreeSpaceTree(trees.get(TreeId.FREE_SPACE));
        if (fresh) {
            freeSpace.add(sb.firstDataBlock(), sb.totalBlocks - sb.firstDataBlock());
        }
        this.checksums = new Checksums(trees.get(TreeId.CSUM), this.checksum.digestLength(), nodeSize);
        this.backRefs = new BackRefs(trees.get(TreeId.BACKREF));
        this.refCounts = new RefCounts(trees.get(TreeId.REFCOUNT), freeSpace, checksums, space::freeLater, changes,
                sb.usedBlocks, backRefs::checkUnmapped);
        this.extents = new Extents(trees.get(TreeId.FS), ledger, changes);
        this.inodes = new Inodes(trees.get(TreeId.FS));
        this.cache = new PageCache(blockSize, Math.min(cacheBytes, PAGE_CACHE_BYTES));
        this.readCache = new ReadCache(blockSize, cacheBytes);
        changes.add(readCache);
        healing.onMetadataLost(this::forceReadOnly);
        this.repairs = new Repairs(this);
        changes.add(repairs);
        changes.add(backRefs);
    }

    /**
     * Loads the free-space tree into the free-space map, each extent checked against the
     * reference counts, and checks the next inode number against the fs tree: what a
     * mount does before anything else, so that nothing it allocates is in use.
     */
    public void loadFreeSpace() throws IOException {
        Superblock sb = committed;
        inodes.checkNext(sb.nextInode);
        freeSpace.forEach(sb.firstDataBlock(), sb.totalBlocks, (start, length) -> {
            refCounts.checkFree(start, length);
            space.addFree(start, length);
            return true;
        });
    }

    // ------------------------------------------------------------------ the gate

    /** Runs an operation (of the volume or of one of its files) inside the gate, once what it needs is bound. */
    public <T> T operation(Access access, Query<T> op) throws IOException {
        Set<VolumeBindings.Service> needs = access.needs(readOnly);
        if (needs == VolumeBindings.CACHED) {
            bindings.enterCached(); // not held up while the algorithm's removal commits
        } else {
            bindings.enter(needs);
        }
        try {
            return op.run();
        } catch (java.io.UncheckedIOException e) {
            // A service waited for inside the gate that did not come back (BoundChecksum).
            if (e.getCause() instanceof StorageException || e.getCause() instanceof java.io.InterruptedIOException) {
                throw e.getCause();
            }
            throw e;
        } finally {
            bindings.exit();
        }
    }

    public void operation(Access access, Update op) throws IOException {
        operation(access, () -> {
            op.run();
            return null;
        });
    }

    // ------------------------------------------------------------------ mode and failure

    public boolean readOnly() {
        return readOnly;
    }

    /** Changes the mode; the caller holds the gate exclusively and has committed (see remount). */
    public void readOnly(boolean ro) {
        readOnly = ro;
        if (!ro) {
            readOnlyReason = null;
        }
    }

    /**
     * Metadata was found with no good copy: the volume takes no more changes (they could
     * build on what cannot be read), as btrfs goes read-only when it must abort. Reads go
     * on; {@link #readOnlyReason()} says why. A remount read-write clears it.
     */
    public void forceReadOnly(String reason) {
        if (!readOnly) {
            readOnlyReason = reason;
            readOnly = true;
        }
    }

    /** Why the volume went read-only by itself, or null. */
    public String readOnlyReason() {
        return readOnlyReason;
    }

    /** Why the volume failed, or null. */
    public String failure() {
        return failure;
    }

    /** Fails unless the volume serves: not failed, not unmounted. */
    public void checkUsable() throws StorageException {
        if (failure != null) {
            throw new StorageException("volume " + name + " failed (" + failure
                    + "); unmount it and mount it again to get back its last committed state");
        }
        if (bindings.closed()) {
            throw new OfflineException("volume " + name);
        }
    }

    /** Fails unless the volume serves and takes changes. */
    public void checkWritable() throws StorageException {
        checkUsable();
        if (readOnly) {
            String why = readOnlyReason;
            throw new ReadOnlyException(why == null ? "volume " + name
                    : "volume " + name + " (metadata with no good copy: " + why + ")");
        }
    }

    /**
     * The volume fails: a commit or writeback broke off half-way, so what is in memory can
     * no longer be committed. It serves nothing more until it is mounted again, from its
     * last commit. Answers the exception to throw.
     */
    public IOException fail(String what, Throwable e) {
        failure = what + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        if (e instanceof IOException) {
            return (IOException) e;
        }
        return new StorageException("volume " + name + ": " + failure, e);
    }

    // ------------------------------------------------------------------ commits and inode numbers

    /** The last durable superblock. */
    public Superblock committed() {
        return committed;
    }

    /** A commit is durable. */
    public void committed(Superblock sb) {
        committed = sb;
    }

    /** The compatible features the next commit records. */
    public long compat() {
        return compat;
    }

    /** Sets or clears compatible feature bits for the next commit. */
    public void compat(long bits, boolean set) {
        compat = set ? compat | bits : compat & ~bits;
    }

    /** A new inode number. Tree lock held exclusively. */
    public long newInode() {
        return nextInode++;
    }

    /** The next inode number, as a commit records it. Tree lock held. */
    public long nextInode() {
        return nextInode;
    }

    // ------------------------------------------------------------------ helpers every room uses

    /** Whether the running transaction holds anything a commit would write. */
    public boolean dirty() {
        return compat != committed.compat || changed();
    }

    /** Whether the running transaction changed data or metadata (feature flags aside). */
    public boolean changed() {
        if (cache.dirtyPages() > 0 || meta.dirtyCount() > 0 || !ledger.isEmpty()) {
            return true;
        }
        for (CommitParticipant p : participants) {
            if (p.pending()) {
                return true;
            }
        }
        return false;
    }

    /** The size of an open file (its lock is held, or a racing size is acceptable). */
    public long size(long ino, String path) throws IOException {
        checkUsable();
        return treeLock.reading(() -> inodes.getOrThrow(ino, path).size());
    }

    /** Blocks that hold {@code bytes} bytes. */
    public long blocksCovering(long bytes) {
        return (bytes + blockSize - 1) / blockSize;
    }

    /** Now, in nanoseconds since the epoch: inode times. */
    public static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Override
    public String toString() {
        return "volume " + name + " on " + deviceUri;
    }
}
