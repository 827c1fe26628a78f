package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.UUID;

import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.CacheUsage;
import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.SpaceUsage;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.bind.ServiceSwap;
import org.cowstack.storage.cow.bind.VolumeServices;
import org.cowstack.storage.cow.bitmap.Bitmaps;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.cache.CacheSize;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.extent.Fallocate;
import org.cowstack.storage.cow.extent.Fiemap;
import org.cowstack.storage.cow.extent.Remap;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.cow.inspect.Audit;
import org.cowstack.storage.cow.inspect.Check;
import org.cowstack.storage.cow.inspect.Owners;
import org.cowstack.storage.cow.io.Appends;
import org.cowstack.storage.cow.io.BlockIo;
import org.cowstack.storage.cow.io.BufferedWriter;
import org.cowstack.storage.cow.io.Committer;
import org.cowstack.storage.cow.io.DataCopies;
import org.cowstack.storage.cow.io.DirectWriter;
import org.cowstack.storage.cow.io.Placements;
import org.cowstack.storage.cow.io.ReadPath;
import org.cowstack.storage.cow.meta.ChangeHook;
import org.cowstack.storage.cow.meta.Inodes;
import org.cowstack.storage.cow.ns.Namespace;
import org.cowstack.storage.cow.scrub.ScrubRoom;
import org.cowstack.storage.cow.scrub.StatusRecords;
import org.cowstack.storage.cow.space.Reservations;

/**
 * A mounted copy-on-write file system: the {@link Volume} API, the volume's state and
 * the gate every operation passes, over the rooms that do the work. The shared state is
 * {@link VolumeCore}; data goes through the block-I/O path ({@link BlockIo},
 * {@link ReadPath}, {@link BufferedWriter}, {@link DirectWriter}, {@link Committer}),
 * range operations are {@link Fallocate}, {@link Remap} and {@link Fiemap}, names are
 * the {@link Namespace}'s, and the read-only walks are {@link Owners} and {@link Audit}.
 * What hot swap does to the volume is {@link ServiceSwap}'s.
 */
public final class CowVolume implements Volume {
    /** The root directory's inode number, as in btrfs. */
    public static final long ROOT_INODE = Inodes.ROOT;
    /** Default page cache size: a quarter of the JVM's maximum heap, bounded (see {@link CacheSize}). */
    public static final long DEFAULT_CACHE_BYTES = CacheSize.defaultBytes();

    final VolumeCore core;
    private final Remount remount;
    private final ServiceSwap swap;
    private final DataCopies copies = new DataCopies();
    final ReadPath reads;
    final Committer committer;
    final BufferedWriter buffered;
    final DirectWriter direct;
    final Appends appends;
    final Fallocate ranges;
    final Remap remap;
    final Fiemap fiemap;
    final Namespace namespace;
    final Bitmaps bitmaps;
    private final Owners owners;
    private final Audit audit;
    /** Scrub, status records and media errors. */
    final ScrubRoom health;
    /** File mappings and their views. */
    final org.cowstack.storage.cow.map.Mappings mappings;

    CowVolume(VolumeCore core, DeviceOpener reopen) {
        this.core = core;
        BlockIo io = new BlockIo(core);
        Placements placements = new Placements(core);
        this.reads = new ReadPath(core, io);
        this.committer = new Committer(core, io, placements, copies);
        this.remount = new Remount(core, committer, reopen, this::modeChanging);
        Reservations reservations = new Reservations(core.name, core.blockSize, core.space,
                (long) core.nodeBlocks * core.committed().metadataProfile.copies(), new Reservations.Reclaimer() {
                    @Override
                    public boolean mayReclaim() {
                        return core.dirty() || !core.ledger.isEmpty() || core.space.pendingBlocks() > 0;
                    }

                    @Override
                    public void reclaim() throws IOException {
                        committer.sync();
                    }
                });
        this.buffered = new BufferedWriter(core, reads, placements, reservations, committer, copies);
        this.direct = new DirectWriter(core, io, placements, reservations, committer, buffered, copies);
        this.appends = new Appends(core, buffered, direct);
        this.mappings = new org.cowstack.storage.cow.map.Mappings(core, io, reads, direct, committer);
        this.ranges = new Fallocate(core, reads, buffered, reservations);
        this.remap = new Remap(core, io, placements, committer);
        this.fiemap = new Fiemap(core, committer);
        this.namespace = new Namespace(core);
        this.bitmaps = new Bitmaps(core, committer);
        this.owners = new Owners(core);
        this.audit = new Audit(core);
        this.health = new ScrubRoom(core, io, this::sync);
        this.swap = new ServiceSwap(core.name, core.bindings, core.device, core.checksum, new ServiceSwap.Host() {
            @Override
            public boolean hasChangesToCommit() {
                return !core.readOnly() && core.failure() == null && core.dirty();
            }

            @Override
            public void commit() throws IOException {
                sync();
            }

            @Override
            public boolean holdsLastCommit(BlockDevice d) {
                return VolumeFormat.holdsLastCommit(d, core);
            }
        });
    }

    // ------------------------------------------------------------------ format and mount

    /**
     * Writes a new, empty file system on {@code device}: generation 1 in both superblock
     * slots, so no copy of an earlier file system there can win at mount.
     */
    public static FormatResult format(BlockDevice device, FormatOptions options, VolumeServices services,
            String allocationPolicy) throws IOException {
        return VolumeFormat.format(device, options, services, allocationPolicy);
    }

    /**
     * Mounts the file system on {@code device}, which the volume then owns (and closes on
     * unmount). Without a way to open the device again, a volume mounted read-only can be
     * remounted read-write only if {@code device} was opened for writing.
     */
    public static CowVolume mount(String name, URI uri, BlockDevice device, VolumeServices services,
            MountOptions options, long cacheBytes) throws IOException {
        return mount(name, uri, device, services, options, cacheBytes, null);
    }

    /** Mounts, as above; {@code reopen} opens the device again for a remount to read-write. */
    public static CowVolume mount(String name, URI uri, BlockDevice device, VolumeServices services,
            MountOptions options, long cacheBytes, DeviceOpener reopen) throws IOException {
        CowVolume v = new CowVolume(VolumeFormat.open(name, uri, device, services, options, cacheBytes), reopen);
        try {
            v.start();
            v.health.listen(device);
        } catch (IOException | RuntimeException e) {
            v.abandon();
            throw e;
        }
        return v;
    }

    /**
     * What a mount does once the volume's trees are open: its bitmaps are loaded and, on
     * a writable volume, the files a crash left without a name are removed and qemu-mode
     * bitmaps go in use (a mount that cannot write that flag fails, having changed nothing).
     */
    private void start() throws IOException {
        health.load();
        bitmaps.load();
        if (!core.readOnly()) {
            core.operation(Access.CHANGE, () -> {
                namespace.removeOrphans();
                bitmaps.writable();
            });
        }
    }

    /**
     * Where the volume's lines about bad blocks go (volume, file, offset, physical block,
     * copy, repaired or not): the manager's log. Lines from before (the mount's own
     * reads) are told first.
     */
    public void log(java.util.function.Consumer<String> sink) {
        core.healing.log(sink);
    }

    // ------------------------------------------------------------------ identity and state

    @Override
    public String name() {
        return core.name;
    }

    @Override
    public UUID uuid() {
        return core.committed().uuid;
    }

    @Override
    public String label() {
        return core.committed().label;
    }

    @Override
    public URI device() {
        return core.deviceUri;
    }

    @Override
    public String checksum() {
        return core.checksum.name();
    }

    @Override
    public int blockSize() {
        return core.blockSize;
    }

    @Override
    public VolumeState state() {
        if (core.failure() != null) {
            return VolumeState.FAILED;
        }
        if (core.bindings.closed() || core.bindings.device() == null) {
            return VolumeState.OFFLINE;
        }
        if (core.bindings.missing(Access.DIRECT.needs(core.readOnly())) != null) {
            return VolumeState.SUSPENDED;
        }
        return core.readOnly() ? VolumeState.READ_ONLY : VolumeState.MOUNTED;
    }

    /**
     * What a suspended or offline volume waits for, as {@code storage:volumes} shows it
     * ({@code "checksum crc32c"}; several joined by commas); empty when nothing is missing.
     */
    public String waitingFor() {
        if (core.bindings.closed()) {
            return "";
        }
        return String.join(", ", core.bindings.missingNames(Access.DIRECT.needs(core.readOnly())));
    }

    /** The device object bound now (the provider's), or null while offline: for test benches. */
    BlockDevice boundDevice() {
        return core.bindings.device();
    }

    /** Whether the volume is unmounted (or abandoned): it never serves again. */
    public boolean isClosed() {
        return core.bindings.closed();
    }

    /** Whether the volume refuses changes now (mounted or remounted read-only, or because the device or image demands it). */
    public boolean isReadOnly() {
        return core.readOnly();
    }

    /** Why the volume failed, or null. */
    public String failure() {
        return core.failure();
    }

    /** Metadata nodes the last commit wrote: what an operation followed by a commit cost in metadata. */
    public int nodesWrittenByLastCommit() {
        return committer.nodesWrittenByLastCommit();
    }

    /** The generation of the last commit that is durable. */
    public long committedGeneration() {
        return core.committed().generation;
    }

    /** The change hook: listeners added here hear every change of the volume's extents, counts and content. */
    public ChangeHook changes() {
        return core.changes;
    }

    @Override
    public SpaceUsage space() throws IOException {
        return core.operation(Access.CHANGE, () -> {
            core.checkUsable();
            Superblock sb = core.committed();
            long total = sb.totalBlocks - sb.firstDataBlock();
            long shared = core.treeLock.changing(() -> {
                core.refCounts.apply(core.ledger); // counts as of now, not as of the last commit
                return core.refCounts.sharedBlocks();
            });
            long free = core.space.freeBlocks() + core.space.pendingBlocks();
            int bs = core.blockSize;
            return new SpaceUsage(total * bs, (total - free) * bs, core.space.reservedBlocks() * bs,
                    core.space.availableBlocks() * bs, shared * bs, sb.dataProfile.toString(),
                    sb.metadataProfile.toString());
        });
    }

    @Override
    public CacheUsage cache() {
        ReadPath.Counters c = reads.counters();
        long bs = core.blockSize;
        return new CacheUsage(core.readCache.maxBytes(), core.readCache.cachedBytes() + core.cache.cachedPages() * bs,
                core.cache.dirtyPages() * bs, c.hits(), c.misses(), c.readAheadBytes(), core.readCache.sharedBytes(),
                core.readCache.pinnedBytes());
    }

    /** Changes the size of the read cache; a smaller one evicts at once. */
    public void cacheSize(long bytes) {
        core.readCache.maxBytes(bytes);
    }

    // ------------------------------------------------------------------ commit, mode and unmount

    @Override
    public void sync() throws IOException {
        committer.sync();
    }

    /** Commits if anything changed since the last commit: the commit interval's task. */
    public void commitIfDirty() throws IOException {
        committer.commitIfDirty();
    }

    /**
     * Changes the volume's mode without unmounting, once the operations in flight have
     * finished: to read-only it commits first, then refuses every change with
     * {@link ReadOnlyException}; to read-write it takes changes again (opening the device
     * for writing if it was opened read-only). Open files stay open through both.
     */
    @Override
    public void remount(boolean readOnly) throws IOException {
        remount.to(readOnly);
    }

    /** Bitmaps and orphans as the mode changes: see {@link Remount.Participant}. */
    private void modeChanging(boolean readOnly) throws IOException {
        if (readOnly) {
            bitmaps.stopping();
        } else {
            namespace.removeOrphans();
            bitmaps.writable();
        }
    }

    /**
     * Commits and closes the device once the operations in flight have finished; the
     * volume is offline afterwards, and operations waiting for a service give up. A
     * volume with uncommitted data that cannot be committed now (a service it needs is
     * missing) stays mounted: the commit's SuspendedException says what it waits for.
     */
    public void unmount() throws IOException {
        health.stop(true); // the scrub paused and committed first: its commit enters the gate held below
        core.bindings.exclusive(() -> {
            if (!core.readOnly() && core.failure() == null && !core.bindings.closed()) {
                bitmaps.stopping(); // qemu-mode bitmaps stored, no longer in use
                if (core.dirty()) {
                    sync();
                }
            }
            close();
            return null;
        });
    }

    /** Closes the device without committing: what a crash does (for tests of what was durable). */
    public void abandon() throws IOException {
        health.stop(false); // as a crash: what the scrub persisted last stands
        core.bindings.exclusive(() -> {
            close();
            return null;
        });
    }

    private void close() throws IOException {
        mappings.closeAll("the volume " + core.name + " was unmounted");
        health.close();
        reads.close();
        core.bindings.close();
        core.readCache.close();
        core.device.close();
        core.bindings.checksum(null);
        core.bindings.policy(core.bindings.policyName(), null);
        core.bindings.strategy(core.bindings.strategyName(), null);
    }

    // ------------------------------------------------------------------ the services, swapped under the volume

    /** What hot swap does to this volume: services going and coming. */
    public ServiceSwap swap() {
        return swap;
    }

    /** Changes the allocation policy used from the next allocation on; it must be installed. */
    public void allocationPolicy(String policyName) throws NotSupportedException {
        AllocationPolicy p = core.services.allocationPolicy(policyName);
        if (p == null) {
            throw new NotSupportedException("allocation policy " + policyName + " is not installed");
        }
        core.bindings.policy(policyName, p);
    }

    public String allocationPolicy() {
        return core.bindings.policyName();
    }

    /** Changes the DIO fallback strategy used from the next direct write on; it must be installed. */
    public void dioStrategy(String strategyName) throws NotSupportedException {
        DioStrategy s = core.services.dioStrategy(strategyName);
        if (s == null) {
            throw new NotSupportedException("DIO strategy " + strategyName + " is not installed");
        }
        core.bindings.strategy(strategyName, s);
    }

    public String dioStrategy() {
        return core.bindings.strategyName();
    }

    /** How long operations wait for a missing service before they fail with SuspendedException. */
    public void suspendTimeout(Duration timeout) {
        core.bindings.timeoutMillis(timeout.toMillis());
    }

    // ------------------------------------------------------------------ namespace

    @Override
    public FileHandle open(String path, Set<? extends OpenOption> options) throws IOException {
        core.checkUsable();
        boolean writable = Namespace.writable(options);
        if (writable) {
            core.checkWritable(); // read-only: says why when the volume went read-only by itself
        }
        // Opening to read changes nothing: it needs neither the allocation policy nor the exclusive lock.
        return core.operation(writable ? Access.CHANGE : Access.READ, () -> {
            Namespace.Opened f = namespace.open(path, options);
            CowFile file = new CowFile(this, f.inode(), f.path(), writable);
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                ranges.truncate(f.inode(), f.path(), 0);
            }
            return file;
        });
    }

    @Override
    public void mkdir(String path) throws IOException {
        core.operation(Access.CHANGE, () -> namespace.mkdir(path));
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        return core.operation(Access.READ, () -> namespace.list(path));
    }

    @Override
    public FileStat stat(String path) throws IOException {
        return core.operation(Access.READ, () -> namespace.stat(path));
    }

    @Override
    public void delete(String path) throws IOException {
        core.operation(Access.CHANGE, () -> namespace.delete(path));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        core.operation(Access.CHANGE, () -> namespace.rename(from, to));
    }

    // ------------------------------------------------------------------ inspection

    @Override
    public org.cowstack.storage.api.scrub.Scrub scrub() {
        return health.job();
    }

    /** The health records, for tests that drive a scrub job of their own over this volume. */
    StatusRecords statusRecords() {
        return health.records();
    }

    @Override
    public org.cowstack.storage.api.scrub.VolumeHealth health() {
        return health.health();
    }

    @Override
    public org.cowstack.storage.api.scrub.DeviceErrors resetErrors() throws IOException {
        return health.resetErrors();
    }

    @Override
    public List<BlockOwner> owners(long block) throws IOException {
        return core.operation(Access.CHANGE, () -> owners.of(block));
    }

    /** The files that map blocks of {@code [physical, physical + blocks)}, and the part each maps (a scrub report's owners). */
    public List<Owners.RangeOwner> owners(long physical, long blocks) throws IOException {
        return core.operation(Access.CHANGE, () -> owners.of(physical, blocks));
    }

    /**
     * Checks the volume's accounting after a commit: every tree's invariants; every block
     * referenced by an extent or a node has exactly as many references in the refcount
     * tree; nothing else is counted; free space and used blocks add up. Returns problems found.
     */
    public List<String> audit() throws IOException {
        return core.operation(Access.CHANGE, () -> {
            sync();
            return audit.run();
        });
    }

    /** {@code storage:check}: the last commit, read from the device without the tree lock ({@link Check}). */
    @Override
    public org.cowstack.storage.api.scrub.CheckReport check() throws IOException {
        return checkCommitted().report();
    }

    Check.Result checkCommitted() throws IOException {
        return core.operation(Access.READ, () -> Check.mounted(core));
    }

    /**
     * {@code storage:check} of an unmounted image: reads its newest valid superblock and
     * checks that commit. The device is only read (open it read-only); nothing is mounted.
     */
    public static Check.Result check(BlockDevice device, VolumeServices services) throws IOException {
        Superblock sb = VolumeFormat.readSuperblock(device, services);
        org.cowstack.storage.api.csum.ChecksumAlgorithm checksum = services.checksum(sb.checksumId);
        if (checksum == null) {
            throw new org.cowstack.storage.api.NotSupportedException("checksum algorithm " + sb.checksumId
                    + " of the image on " + device.uri() + " is not installed");
        }
        return Check.image(device, sb, checksum);
    }

    /** Every tree the volume has, for diagnostics and tests. */
    java.util.Collection<BTree> trees() {
        return core.trees.all();
    }

    /** A tree, for diagnostics and tests that need to find where something lives on disk. */
    BTree tree(TreeId id) {
        return core.trees.get(id);
    }

    /** The free extents now, start block to length in blocks (a copy): what fragmentation reports show. */
    public SortedMap<Long, Long> freeExtents() {
        return core.space.snapshot();
    }

    /** Bytes of file data copied so far, by where (see {@link DataCopies}). */
    public DataCopies.Snapshot dataCopies() {
        return copies.snapshot();
    }

    @Override
    public String toString() {
        return core.toString();
    }
}
