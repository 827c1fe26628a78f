package org.cowstack.storage.cow.fs;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.cowstack.storage.api.ChecksumMismatchException;
import org.cowstack.storage.api.CorruptImageException;
import org.cowstack.storage.api.CrossVolumeException;
import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.NoSpaceException;
import org.cowstack.storage.api.NotSupportedException;
import org.cowstack.storage.api.OfflineException;
import org.cowstack.storage.api.ReadOnlyException;
import org.cowstack.storage.api.SourceFaultException;
import org.cowstack.storage.api.StorageException;
import org.cowstack.storage.api.SuspendedException;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DirectWrite;
import org.cowstack.storage.api.volume.BlockOwner;
import org.cowstack.storage.api.volume.DedupeResult;
import org.cowstack.storage.api.volume.DirEntry;
import org.cowstack.storage.api.volume.ExtentMapping;
import org.cowstack.storage.api.volume.FallocateMode;
import org.cowstack.storage.api.volume.FileFlag;
import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FileStat;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.api.volume.FormatResult;
import org.cowstack.storage.api.volume.MountOptions;
import org.cowstack.storage.api.volume.SpaceUsage;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.api.volume.VolumeState;
import org.cowstack.storage.space.SpaceMap;
import org.cowstack.storage.cow.btree.BTree;
import org.cowstack.storage.cow.btree.NodeCodec;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.DirEntries;
import org.cowstack.storage.cow.format.ExtentItem;
import org.cowstack.storage.cow.format.InodeItem;
import org.cowstack.storage.cow.format.ItemType;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.RefRun;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.format.TreeId;

/**
 * A mounted copy-on-write file system.
 *
 * <h2>Transactions</h2>
 * Every change goes into the running transaction, in memory: tree nodes are copied on
 * write (new blocks), file data waits in the page cache with its blocks reserved but
 * not yet allocated. {@link #sync()} (also fsync, unmount and the commit interval)
 * commits: under the tree lock it allocates and maps the dirty pages, applies the
 * reference-count ledger until it is stable, freezes the dirty nodes and starts the
 * next transaction; then, without the lock, it writes data and nodes, flushes the
 * device, writes the superblock to its slot and flushes again. Only then do blocks the
 * transaction freed become reusable. A crash at any point leaves the previous
 * superblock, whose trees are untouched on disk.
 *
 * <h2>Locks</h2>
 * In acquisition order: a file's lock (orders writes to one file), the commit lock
 * (one commit at a time), the tree lock (shared by readers, exclusive for changes;
 * readers hold it across their device reads so no block they read is reused under
 * them), then the page cache's and the space map's monitors.
 */
public final class CowVolume implements Volume {
    /** The root directory's inode number, as in btrfs. */
    public static final long ROOT_INODE = 256;
    private static final int MIN_NODE_SIZE = 4096;
    /** Longest run of blocks one data allocation asks for: a 4 MiB write buffer at 4 KiB blocks. */
    private static final int MAX_WRITE_RUN = 1024;
    private static final int CLEAN_NODE_LIMIT = 4096;
    /**
     * Reads at least this long stream through without filling the page cache: copying
     * every block of a long sequential read into a small cache costs more than the read
     * and evicts what random access reuses.
     */
    private static final int STREAMING_READ = 128 * 1024;
    private static final int FILE_LOCK_STRIPES = 64;

    private final String name;
    private final URI deviceUri;
    private final BlockDevice device;
    private final VolumeServices services;
    /** The services this volume is bound to, and the gate every operation passes. */
    private final VolumeBindings bindings;
    private final ChecksumAlgorithm checksum;
    private final boolean readOnly;
    private final DataCopies copies = new DataCopies();
    /** Why the volume failed; null while it has not. */
    private volatile String failure;

    private final int blockSize;
    private final int nodeBlocks;
    private volatile Superblock committed;
    private final MetadataStore meta;
    private final SpaceMap space;
    private final RefLedger ledger = new RefLedger();
    private final BTree fsTree;
    private final BTree refTree;
    private final BTree csumTree;
    private final BTree freeTree;
    private final Checksums checksums;
    private final RefCounts refCounts;
    private final Extents extents;
    private final PageCache cache;
    private long nextInode;
    private long metadataHint = -1;
    private volatile int nodesWrittenByLastCommit;
    /**
     * Write buffers of {@link #MAX_WRITE_RUN} blocks, reused from commit to commit (one
     * commit at a time): allocating direct memory zeroes it, which cost more than the
     * writes themselves. At most {@link #POOLED_WRITE_BUFFERS} are kept.
     */
    private final java.util.ArrayDeque<ByteBuffer> writeBuffers = new java.util.ArrayDeque<>();
    private static final int POOLED_WRITE_BUFFERS = 8;

    private final ReentrantReadWriteLock treeLock = new ReentrantReadWriteLock();
    private final ReentrantLock commitLock = new ReentrantLock();
    private final ReentrantLock[] fileLocks = new ReentrantLock[FILE_LOCK_STRIPES];

    private CowVolume(String name, URI deviceUri, BlockDevice device, VolumeServices services,
            ChecksumAlgorithm checksum, String allocationPolicy, boolean readOnly, Superblock sb, boolean fresh,
            long cacheBytes) throws IOException {
        this.name = name;
        this.deviceUri = deviceUri;
        this.services = services;
        this.bindings = new VolumeBindings(name, deviceUri.getScheme(), checksum.name(),
                MountOptions.defaults().suspendTimeout().toMillis());
        this.device = new BoundDevice(bindings, device);
        this.checksum = new BoundChecksum(bindings, checksum);
        bindings.device(device);
        bindings.checksum(checksum);
        bindings.policy(allocationPolicy, services.allocationPolicy(allocationPolicy));
        String strategy = MountOptions.defaults().dioStrategy();
        bindings.strategy(strategy, services.dioStrategy(strategy));
        this.readOnly = readOnly;
        this.blockSize = sb.blockSize;
        int nodeSize = Math.max(MIN_NODE_SIZE, blockSize);
        this.nodeBlocks = nodeSize / blockSize;
        this.committed = sb;
        this.nextInode = sb.nextInode;
        for (int i = 0; i < fileLocks.length; i++) {
            fileLocks[i] = new ReentrantLock();
        }
        this.space = new SpaceMap(name, blockSize, sb.totalBlocks,
                SpaceMap.defaultMetadataReserve(sb.totalBlocks, blockSize));
        this.meta = new MetadataStore(name, checksum.name(), this.device, new NodeCodec(nodeSize, sb.uuid,
                this.checksum),
                blockSize, new MetadataStore.Blocks() {
                    @Override
                    public Extent allocateNode(int blocks) throws IOException {
                        return allocateMetadata(blocks);
                    }

                    @Override
                    public void nodeFreed(long block, int blocks) {
                        ledger.add(block, blocks, -1, false);
                    }
                }, sb.generation + 1, CLEAN_NODE_LIMIT);
        if (fresh) {
            space.addFree(sb.firstDataBlock(), sb.totalBlocks - sb.firstDataBlock());
            this.freeTree = BTree.create(meta, TreeId.FREE_SPACE);
            freeTree.put(new Key(sb.firstDataBlock(), ItemType.FREE, 0),
                    RefCounts.freeValue(sb.totalBlocks - sb.firstDataBlock()));
            this.fsTree = BTree.create(meta, TreeId.FS);
            this.refTree = BTree.create(meta, TreeId.REFCOUNT);
            this.csumTree = BTree.create(meta, TreeId.CSUM);
        } else {
            this.fsTree = tree(sb, TreeId.FS);
            this.refTree = tree(sb, TreeId.REFCOUNT);
            this.csumTree = tree(sb, TreeId.CSUM);
            this.freeTree = tree(sb, TreeId.FREE_SPACE);
        }
        this.checksums = new Checksums(csumTree, this.checksum.digestLength(), nodeSize);
        this.refCounts = new RefCounts(refTree, freeTree, checksums, space, sb.usedBlocks);
        this.extents = new Extents(fsTree, ledger);
        this.cache = new PageCache(blockSize, cacheBytes);
    }

    private BTree tree(Superblock sb, TreeId id) {
        Superblock.Root r = sb.root(id);
        return new BTree(meta, id, r.block(), r.generation(), r.level());
    }

    // ------------------------------------------------------------------ format and mount

    /** Default page cache size: 64 MiB. */
    public static final long DEFAULT_CACHE_BYTES = 64L << 20;

    /**
     * Writes a new, empty file system on {@code device}: generation 1 in both superblock
     * slots, so no copy of an earlier file system there can win at mount.
     */
    public static FormatResult format(BlockDevice device, FormatOptions options, VolumeServices services,
            String allocationPolicy) throws IOException {
        ChecksumAlgorithm checksum = services.checksum(options.checksum());
        if (checksum == null) {
            throw new NotSupportedException("checksum algorithm " + options.checksum()
                    + " is not installed; storage:csum lists those that are");
        }
        int bs = options.blockSize();
        if (bs % device.blockSize() != 0 || Superblock.SIZE % device.blockSize() != 0) {
            throw new InvalidArgumentException("blockSize", bs, "a multiple of " + device.uri()
                    + "'s block size " + device.blockSize());
        }
        long bytes = options.size() > 0 ? options.size() : device.size();
        if (bytes > device.size()) {
            throw new InvalidArgumentException("size", bytes, "at most the device size " + device.size());
        }
        long total = bytes / bs;
        int nodeBlocks = Math.max(MIN_NODE_SIZE, bs) / bs;
        long minimum = Superblock.firstDataBlock(bs) + 64L * nodeBlocks + 64;
        if (total < minimum) {
            throw new InvalidArgumentException("size", bytes, "at least " + minimum * bs + " bytes with "
                    + bs + "-byte blocks");
        }
        Superblock.Root placeholder = new Superblock.Root(Superblock.firstDataBlock(bs), 0, 0);
        Superblock.Root[] roots = new Superblock.Root[TreeId.values().length];
        java.util.Arrays.fill(roots, placeholder);
        Superblock sb = new Superblock(UUID.randomUUID(), options.label(), bs, checksum.id(), 0, total, ROOT_INODE + 1,
                0, 0, 0, 0, roots);
        CowVolume v = new CowVolume("mkfs", device.uri(), device, services, checksum, allocationPolicy, false, sb,
                true, DEFAULT_CACHE_BYTES);
        long now = now();
        v.fsTree.put(inodeKey(ROOT_INODE),
                new InodeItem(InodeItem.DIRECTORY, 0, ROOT_INODE, 0, now, now, now, 1, 0).encode());
        v.sync();
        Superblock written = v.committed;
        device.write(written.encode(checksum), Superblock.OFFSETS[(int) ((written.generation + 1) % 2)]);
        device.flush();
        return new FormatResult(device.uri(), written.uuid, written.label, checksum.name(), bs,
                written.totalBlocks * bs);
    }

    /** Mounts the file system on {@code device}, which the volume then owns (and closes on unmount). */
    public static CowVolume mount(String name, URI uri, BlockDevice device, VolumeServices services,
            MountOptions options, long cacheBytes) throws IOException {
        Superblock sb = readSuperblock(device, services);
        String where = uri.toString();
        if (sb.blockSize % device.blockSize() != 0) {
            throw new CorruptImageException(where, "block size " + sb.blockSize + " does not fit the device's "
                    + device.blockSize());
        }
        if (sb.totalBlocks > device.size() / sb.blockSize) {
            throw new CorruptImageException(where, "the file system has " + sb.totalBlocks * sb.blockSize
                    + " bytes but the device only " + device.size() + " (a truncated image?)");
        }
        boolean readOnly = options.readOnly() || device.isReadOnly()
                || (sb.compatRo & ~Superblock.COMPAT_RO_SUPPORTED) != 0;
        ChecksumAlgorithm checksum = services.checksum(sb.checksumId);
        if (!options.checksum().isEmpty() && !options.checksum().equals(checksum.name())) {
            throw new InvalidArgumentException("checksum", options.checksum(), "the algorithm of the image on " + uri
                    + ", which is " + checksum.name() + " (was the device formatted again?)");
        }
        CowVolume v;
        try {
            v = new CowVolume(name, uri, device, services, checksum, options.allocationPolicy(), readOnly, sb, false,
                    cacheBytes);
            v.bindings.strategy(options.dioStrategy(), services.dioStrategy(options.dioStrategy()));
            v.bindings.timeoutMillis(options.suspendTimeout().toMillis());
            v.loadFreeSpace();
            v.inodeOrThrow(ROOT_INODE, "/");
        } catch (Corruption e) {
            throw new CorruptImageException(where, e.getMessage(), e);
        }
        return v;
    }

    /** The newest superblock copy that verifies. */
    static Superblock readSuperblock(BlockDevice device, VolumeServices services) throws IOException {
        String where = device.uri().toString();
        if (device.size() < Superblock.RESERVED_BYTES) {
            throw new CorruptImageException(where, "the device is too small to hold a volume (" + device.size()
                    + " bytes)");
        }
        Superblock best = null;
        List<String> problems = new ArrayList<>();
        NotSupportedException unsupported = null;
        for (long offset : Superblock.OFFSETS) {
            ByteBuffer raw = device.allocate(Superblock.SIZE);
            try {
                device.read(raw, offset);
                Superblock sb = Superblock.decode(raw.flip(), where, services::checksum);
                if (best == null || sb.generation > best.generation) {
                    best = sb;
                }
            } catch (CorruptImageException e) {
                problems.add("copy at " + offset + ": " + e.getMessage().substring(where.length() + 2));
            } catch (NotSupportedException e) {
                unsupported = e;
                problems.add("copy at " + offset + ": " + e.getMessage());
            }
        }
        if (best != null) {
            return best;
        }
        if (unsupported != null) {
            throw unsupported;
        }
        throw new CorruptImageException(where, "no valid superblock (" + String.join("; ", problems) + ")");
    }

    private void loadFreeSpace() throws IOException {
        freeTree.scanAll((k, v) -> {
            Corruption.check(k.type() == ItemType.FREE, "item " + k + " in the free-space tree");
            long length = RefCounts.freeLength(v);
            Corruption.check(k.objectId() >= committed.firstDataBlock()
                    && k.objectId() + length <= committed.totalBlocks, "free extent " + k + "+" + length
                    + " outside the volume");
            space.addFree(k.objectId(), length);
            return true;
        });
    }

    // ------------------------------------------------------------------ services and state

    private AllocationPolicy policy() throws SuspendedException {
        AllocationPolicy p = bindings.policy();
        if (p == null) {
            // Only an operation that entered the gate without the policy gets here (none should).
            throw new SuspendedException(name, bindings.describe(VolumeBindings.Service.POLICY));
        }
        return p;
    }

    /** Changes the allocation policy used from the next allocation on; it must be installed. */
    public void allocationPolicy(String policyName) throws NotSupportedException {
        AllocationPolicy p = services.allocationPolicy(policyName);
        if (p == null) {
            throw new NotSupportedException("allocation policy " + policyName + " is not installed");
        }
        bindings.policy(policyName, p);
    }

    public String allocationPolicy() {
        return bindings.policyName();
    }

    /** How long operations wait for a missing service before they fail with SuspendedException. */
    public void suspendTimeout(java.time.Duration timeout) {
        bindings.timeoutMillis(timeout.toMillis());
    }

    private Extent allocateMetadata(int blocks) throws IOException {
        Extent e;
        try {
            e = space.allocate(policy(), blocks, blocks, metadataHint, false);
        } catch (NoSpaceException full) {
            throw new NoSpaceException(name, (long) blocks * blockSize, "no space left even for metadata");
        }
        metadataHint = e.end();
        ledger.add(e.start(), e.length(), +1, false);
        return e;
    }

    private void checkUsable() throws StorageException {
        if (failure != null) {
            throw new StorageException("volume " + name + " failed (" + failure
                    + "); unmount it and mount it again to get back its last committed state");
        }
        if (bindings.closed()) {
            throw new OfflineException("volume " + name);
        }
    }

    private void checkWritable() throws StorageException {
        checkUsable();
        if (readOnly) {
            throw new ReadOnlyException("volume " + name);
        }
    }

    private IOException fail(String what, Throwable e) {
        failure = what + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        if (e instanceof IOException) {
            return (IOException) e;
        }
        return new StorageException("volume " + name + ": " + failure, e);
    }

    private CorruptImageException corrupt(Corruption e) {
        return new CorruptImageException(deviceUri.toString(), e.getMessage(), e);
    }

    /** Work on the trees that answers a value. */
    @FunctionalInterface
    interface TreeQuery<T> {
        T run() throws IOException;
    }

    /** Work on the trees that answers nothing. */
    @FunctionalInterface
    interface TreeUpdate {
        void run() throws IOException;
    }

    /**
     * Runs {@code query} under the shared tree lock. Every tree access goes through here or
     * {@link #changing}, so metadata that breaks the format always reaches the caller as a
     * {@link CorruptImageException} naming the device, never as a bare runtime exception.
     */
    private <T> T reading(TreeQuery<T> query) throws IOException {
        return under(treeLock.readLock(), query);
    }

    /** Runs {@code update} under the exclusive tree lock; corruption is reported as by {@link #reading}. */
    private void changing(TreeUpdate update) throws IOException {
        under(treeLock.writeLock(), () -> {
            update.run();
            return null;
        });
    }

    /** Runs {@code query} under the exclusive tree lock and answers its value. */
    private <T> T changing(TreeQuery<T> query) throws IOException {
        return under(treeLock.writeLock(), query);
    }

    private <T> T under(Lock lock, TreeQuery<T> query) throws IOException {
        lock.lock();
        try {
            if (lock == treeLock.writeLock() && !readOnly) {
                // A change may allocate metadata nodes half-way: without the policy it must
                // not start. (The policy cannot go before the operation ends: see VolumeBindings.)
                policy();
            }
            return query.run();
        } catch (Corruption e) {
            throw corrupt(e);
        } finally {
            lock.unlock();
        }
    }

    private static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private ReentrantLock fileLock(long inode) {
        return fileLocks[stripe(inode)];
    }

    private static int stripe(long inode) {
        return (int) Math.floorMod(inode * 0x9E3779B97F4A7C15L >>> 40, FILE_LOCK_STRIPES);
    }

    /** Locks two files (in stripe order, so two such calls cannot deadlock); answers the unlock. */
    private Runnable lockFiles(long a, long b) {
        ReentrantLock first = fileLocks[Math.min(stripe(a), stripe(b))];
        ReentrantLock second = fileLocks[Math.max(stripe(a), stripe(b))];
        first.lock();
        second.lock();
        return () -> {
            second.unlock();
            first.unlock();
        };
    }

    // ------------------------------------------------------------------ Volume identity

    @Override
    public String name() {
        return name;
    }

    @Override
    public UUID uuid() {
        return committed.uuid;
    }

    @Override
    public String label() {
        return committed.label;
    }

    @Override
    public URI device() {
        return deviceUri;
    }

    @Override
    public VolumeState state() {
        if (failure != null) {
            return VolumeState.FAILED;
        }
        if (bindings.closed() || bindings.device() == null) {
            return VolumeState.OFFLINE;
        }
        if (bindings.missing(needs(Access.DIRECT)) != null) {
            return VolumeState.SUSPENDED;
        }
        return readOnly ? VolumeState.READ_ONLY : VolumeState.MOUNTED;
    }

    /**
     * What a suspended or offline volume waits for, as {@code storage:volumes} shows it
     * ({@code "checksum crc32c"}; several joined by commas); empty when nothing is missing.
     */
    public String waitingFor() {
        if (bindings.closed()) {
            return "";
        }
        return String.join(", ", bindings.missingNames(needs(Access.DIRECT)));
    }

    /** The device object bound now (the provider's), or null while offline: for test benches. */
    BlockDevice boundDevice() {
        return bindings.device();
    }

    /** Whether the volume is unmounted (or abandoned): it never serves again. */
    public boolean isClosed() {
        return bindings.closed();
    }

    /** Whether the volume was mounted read-only (by request, or because the device or image demands it). */
    public boolean isReadOnly() {
        return readOnly;
    }

    /** Why the volume failed, or null. */
    public String failure() {
        return failure;
    }

    @Override
    public String checksum() {
        return checksum.name();
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    /** Metadata nodes the last commit wrote: what an operation followed by a commit cost in metadata. */
    public int nodesWrittenByLastCommit() {
        return nodesWrittenByLastCommit;
    }

    /** The generation of the last commit that is durable. */
    public long committedGeneration() {
        return committed.generation;
    }

    @Override
    public SpaceUsage space() throws IOException {
        return operation(Access.CHANGE, () -> {
            checkUsable();
            long total = committed.totalBlocks - committed.firstDataBlock();
            long shared = changing(() -> {
                refCounts.apply(ledger); // counts as of now, not as of the last commit
                long[] sharedBlocks = {0};
                refTree.scanAll((k, v) -> {
                    RefRun r = RefRun.decode(v);
                    if (r.count() > 1) {
                        sharedBlocks[0] += r.blocks();
                    }
                    return true;
                });
                return sharedBlocks[0];
            });
            long free = space.freeBlocks() + space.pendingBlocks();
            long used = total - free;
            long reserved = space.reservedBlocks();
            return new SpaceUsage(total * blockSize, used * blockSize, reserved * blockSize,
                    space.availableBlocks() * blockSize, shared * blockSize);
        });
    }

    // ------------------------------------------------------------------ commit

    @Override
    public void sync() throws IOException {
        checkUsable();
        if (readOnly) {
            return;
        }
        operation(Access.CHANGE, () -> {
            commitLock.lock();
            try {
                commit();
            } finally {
                commitLock.unlock();
            }
        });
    }

    private boolean dirty() {
        return cache.dirtyPages() > 0 || meta.dirtyCount() > 0;
    }

    /**
     * Commits if anything changed since the last commit: the commit interval's task. A
     * volume waiting for a service skips it (the commit would wait too); so does one
     * that failed.
     */
    public void commitIfDirty() throws IOException {
        if (readOnly || failure != null || !dirty() || !bindings.tryEnter(VolumeBindings.CHANGE)) {
            return;
        }
        try {
            sync();
        } finally {
            bindings.exit();
        }
    }

    /** A data write of a commit: {@code bytes} is a view of one of its batch's buffers. */
    private record DataWrite(long block, ByteBuffer bytes) {
    }

    /**
     * The data writes of one commit, packed into pooled buffers of {@link #MAX_WRITE_RUN}
     * blocks: many short runs share a buffer instead of taking one each.
     */
    private final class WriteBatch {
        final List<DataWrite> writes = new ArrayList<>();
        final List<ByteBuffer> buffers = new ArrayList<>();
        private ByteBuffer current;

        /** A zero-positioned view of {@code blocks} blocks to fill, for the write of {@code physical} on. */
        ByteBuffer add(long physical, int blocks) {
            int bytes = blocks * blockSize;
            if (current == null || current.remaining() < bytes) {
                ByteBuffer b = writeBuffers.poll();
                current = b != null ? b.clear() : device.allocate(MAX_WRITE_RUN * blockSize);
                buffers.add(current);
            }
            ByteBuffer view = current.slice(current.position(), bytes);
            current.position(current.position() + bytes);
            writes.add(new DataWrite(physical, view));
            return view;
        }

        void recycle() {
            for (ByteBuffer b : buffers) {
                if (writeBuffers.size() < POOLED_WRITE_BUFFERS) {
                    writeBuffers.push(b);
                }
            }
        }
    }

    /**
     * Writes the dirty pages to their blocks without committing, as memory pressure asks:
     * allocation, mapping and checksums go into the running transaction, whose metadata
     * stays in memory until the next commit. The data lands in blocks no committed tree
     * references (or in place, exactly as a commit would put it), so nothing needs to be
     * durable before that commit, and it flushes once for everything. The commit lock
     * keeps a commit from starting while these writes are in flight.
     */
    private void writeBackDirtyPages() throws IOException {
        commitLock.lock();
        try {
            if (cache.dirtyPages() <= cache.dirtyLimit()) {
                return; // another writer did it while this one waited
            }
            TreeMap<Long, TreeMap<Long, PageCache.Page>> pages;
            WriteBatch data;
            policy();
            treeLock.writeLock().lock();
            try {
                pages = cache.takeDirty();
                data = placeDirtyPages(pages);
            } catch (Corruption e) {
                throw fail("writeback found corrupt metadata", corrupt(e));
            } catch (IOException | RuntimeException e) {
                throw fail("writeback failed before writing", e);
            } finally {
                treeLock.writeLock().unlock();
            }
            try {
                writeData(data);
            } catch (IOException | RuntimeException e) {
                throw fail("writeback of dirty pages could not be written", e);
            }
            cache.written(pages);
            data.recycle();
        } finally {
            commitLock.unlock();
        }
    }

    private void writeData(WriteBatch data) throws IOException {
        for (DataWrite w : data.writes) {
            device.write(w.bytes(), w.block() * blockSize);
        }
    }

    /** {@link #writeback} between applications of the ledger; with the tree lock held. */
    private WriteBatch placeDirtyPages(TreeMap<Long, TreeMap<Long, PageCache.Page>> pages) throws IOException {
        refCounts.apply(ledger); // current counts: writeback decides what may go in place
        WriteBatch data = writeback(pages);
        refCounts.apply(ledger);
        return data;
    }

    private void commit() throws IOException {
        WriteBatch data;
        List<MetadataStore.Encoded> nodes;
        Superblock next;
        List<long[]> frees;
        TreeMap<Long, TreeMap<Long, PageCache.Page>> pages;
        policy(); // a commit without its policy does not start, and fails nothing (the gate keeps it to the end)
        treeLock.writeLock().lock();
        try {
            pages = cache.takeDirty();
            data = placeDirtyPages(pages);
            if (data.writes.isEmpty() && meta.dirtyCount() == 0) {
                return;
            }
            long generation = meta.generation();
            Superblock.Root[] roots = new Superblock.Root[TreeId.values().length];
            for (BTree t : List.of(fsTree, refTree, csumTree, freeTree)) {
                roots[t.id().ordinal()] = new Superblock.Root(t.rootBlock(), t.rootGeneration(), t.rootLevel());
            }
            next = committed.next(generation, nextInode, refCounts.usedBlocks(), roots);
            nodes = meta.freeze();
            frees = space.takePending();
            refCounts.transactionCommitted();
        } catch (Corruption e) {
            throw fail("commit found corrupt metadata", corrupt(e));
        } catch (IOException | RuntimeException e) {
            throw fail("commit failed before writing", e);
        } finally {
            treeLock.writeLock().unlock();
        }
        try {
            writeData(data);
            for (MetadataStore.Encoded n : nodes) {
                device.write(n.bytes(), n.block() * blockSize);
            }
            device.flush();
            device.write(next.encode(checksum), next.offset());
            device.flush();
        } catch (IOException | RuntimeException e) {
            throw fail("commit of generation " + next.generation + " could not be written", e);
        }
        committed = next;
        nodesWrittenByLastCommit = nodes.size();
        meta.written();
        cache.written(pages);
        space.release(frees);
        data.recycle();
    }

    /**
     * Gives the dirty pages their blocks and returns the writes to do. A page whose block
     * may be overwritten in place (see {@link #placement}) keeps it: its checksum is
     * replaced and a preallocated extent becomes written. Every other page is copied on
     * write: allocated (consuming its reservation), mapped, checksummed, referenced.
     * Called with the tree lock held and the ledger applied.
     */
    private WriteBatch writeback(TreeMap<Long, TreeMap<Long, PageCache.Page>> dirty) throws IOException {
        WriteBatch writes = new WriteBatch();
        for (var perInode : dirty.entrySet()) {
            long ino = perInode.getKey();
            InodeItem inode = inode(ino);
            if (inode == null) {
                // deleted after the pages were written
                space.unreserve(perInode.getValue().values().stream().filter(p -> p.reserved).count());
                continue;
            }
            boolean sums = !inode.has(InodeItem.NODATASUM);
            int flags = sums ? 0 : ExtentItem.NODATASUM;
            long allocatedDelta = 0;
            List<Long> indexes = new ArrayList<>(perInode.getValue().keySet());
            int i = 0;
            while (i < indexes.size()) {
                int runEnd = i + 1;
                while (runEnd < indexes.size() && runEnd - i < MAX_WRITE_RUN
                        && indexes.get(runEnd) == indexes.get(runEnd - 1) + 1) {
                    runEnd++;
                }
                long runFirst = indexes.get(i);
                Placement where = placement(ino, inode.has(InodeItem.NOCOW), runFirst, runEnd - i);
                int k = 0;
                while (k < runEnd - i) {
                    int j = where.runEnd(k);
                    List<PageCache.Page> run = new ArrayList<>();
                    for (int x = k; x < j; x++) {
                        run.add(perInode.getValue().get(runFirst + x));
                    }
                    if (where.inPlace[k]) {
                        overwriteInPlace(ino, runFirst + k, where.physical[k], where.flags[k], run, sums, flags, writes);
                    } else {
                        allocatedDelta += copyOnWrite(ino, runFirst + k, run, sums, flags, writes);
                    }
                    k = j;
                }
                i = runEnd;
            }
            InodeItem mapped = inode(ino);
            putInode(ino, mapped.withAllocated(mapped.allocated() + allocatedDelta));
        }
        return writes;
    }

    /** Pages for consecutive file blocks from {@code fileBlock}, written to new blocks; returns blocks newly mapped. */
    private long copyOnWrite(long ino, long fileBlock, List<PageCache.Page> run, boolean sums, int flags,
            WriteBatch writes) throws IOException {
        for (PageCache.Page p : run) {
            if (!p.reserved) {
                space.reserveAnyway(1); // was to go in place; its block became shared after all
                p.reserved = true;
            }
        }
        long allocatedDelta = 0;
        int done = 0;
        while (done < run.size()) {
            Extent e = space.allocateRun(policy(), run.size() - done, extents.hint(ino, fileBlock + done), true);
            int n = (int) e.length();
            gather(e.start(), run.subList(done, done + n), sums, writes);
            ledger.add(e.start(), n, +1, sums);
            allocatedDelta += extents.replace(ino, fileBlock + done, new ExtentItem(e.start(), n, flags));
            done += n;
        }
        return allocatedDelta;
    }

    /**
     * Pages overwriting their own, unshared blocks from {@code physical}, which the file
     * maps with {@code oldFlags} and will map with {@code newFlags}.
     */
    private void overwriteInPlace(long ino, long fileBlock, long physical, int oldFlags,
            List<PageCache.Page> run, boolean sums, int newFlags, WriteBatch writes) throws IOException {
        for (PageCache.Page p : run) {
            if (p.reserved) {
                space.unreserve(1);
                p.reserved = false;
            }
        }
        checksums.delete(physical, run.size());
        gather(physical, run, sums, writes);
        if (oldFlags != newFlags) {
            extents.retag(ino, fileBlock, new ExtentItem(physical, run.size(), newFlags));
        }
    }

    /** Copies pages into a write buffer for {@code physical} on, recording their checksums when {@code sums}. */
    private void gather(long physical, List<PageCache.Page> run, boolean sums, WriteBatch writes) throws IOException {
        int n = run.size();
        ByteBuffer buf = writes.add(physical, n);
        byte[] digests = sums ? new byte[n * checksum.digestLength()] : null;
        for (int k = 0; k < n; k++) {
            byte[] page = run.get(k).data;
            buf.put(k * blockSize, page);
            copies.atWriteback(blockSize);
            if (sums) {
                checksum.digest(ByteBuffer.wrap(page), digests, k * checksum.digestLength());
            }
        }
        if (sums) {
            checksums.insert(physical, digests);
        }
    }

    /**
     * Where each block of a file range lives and whether a write may overwrite it there.
     * In place is allowed for a block with exactly one reference and none dropped since
     * the last commit (see {@link RefCounts#exclusive}) that is either preallocated (the
     * last commit reads it as zeros whatever it holds) or belongs to a NOCOW file.
     *
     * @param physical block per file block, -1 for a hole
     * @param flags    the mapping extent's flags per file block
     * @param inPlace  per file block
     */
    private record Placement(long[] physical, int[] flags, boolean[] inPlace) {
        /**
         * The end of the run from {@code k} that one write can do: blocks going in place that
         * are contiguous on disk with the same flags, or blocks to copy on write.
         */
        int runEnd(int k) {
            int j = k + 1;
            if (inPlace[k]) {
                while (j < inPlace.length && inPlace[j] && physical[j] == physical[j - 1] + 1 && flags[j] == flags[k]) {
                    j++;
                }
            } else {
                while (j < inPlace.length && !inPlace[j]) {
                    j++;
                }
            }
            return j;
        }

        int inPlaceCount() {
            int n = 0;
            for (boolean b : inPlace) {
                if (b) {
                    n++;
                }
            }
            return n;
        }
    }

    /** See {@link Placement}. Tree lock held, ledger applied. */
    private Placement placement(long ino, boolean nocow, long first, int count) throws IOException {
        return layout(ino, first, count, nocow, true);
    }

    /** Where each block of a file range lives (physical and flags); in-place answers only when {@code decide}. */
    private Placement layout(long ino, long first, int count, boolean nocow, boolean decide) throws IOException {
        long[] physical = new long[count];
        java.util.Arrays.fill(physical, -1);
        int[] flags = new int[count];
        boolean[] inPlace = new boolean[count];
        for (Extents.Mapping m : extents.overlapping(ino, first, first + count)) {
            long from = Math.max(first, m.fileBlock());
            long to = Math.min(first + count, m.fileEnd());
            long p0 = m.extent().physical() + (from - m.fileBlock());
            boolean candidate = decide && (nocow || m.extent().unwritten());
            boolean[] exclusive = candidate ? refCounts.exclusive(p0, (int) (to - from)) : null;
            for (long b = from; b < to; b++) {
                int at = (int) (b - first);
                physical[at] = p0 + (b - from);
                flags[at] = m.extent().flags();
                inPlace[at] = candidate && exclusive[(int) (b - from)];
            }
        }
        return new Placement(physical, flags, inPlace);
    }

    /**
     * Where a write's blocks are and which may go in place, as of now; null when none may
     * (the common case, answered under the shared lock).
     */
    private Placement placementForWrite(long ino, String path, long first, int count) throws IOException {
        boolean candidates = reading(() -> {
            boolean nocow = inodeOrThrow(ino, path).has(InodeItem.NOCOW);
            for (Extents.Mapping m : extents.overlapping(ino, first, first + count)) {
                if (nocow || m.extent().unwritten()) {
                    return true;
                }
            }
            return false;
        });
        if (!candidates) {
            return null;
        }
        return changing(() -> {
            refCounts.apply(ledger);
            Placement p = placement(ino, inodeOrThrow(ino, path).has(InodeItem.NOCOW), first, count);
            return p.inPlaceCount() > 0 ? p : null;
        });
    }

    /**
     * Commits and closes the device once the operations in flight have finished; the
     * volume is offline afterwards, and operations waiting for a service give up. A
     * volume with uncommitted data that cannot be committed now (a service it needs is
     * missing) stays mounted: the commit's SuspendedException says what it waits for.
     */
    public void unmount() throws IOException {
        bindings.exclusive(() -> {
            if (!readOnly && failure == null && !bindings.closed() && dirty()) {
                sync();
            }
            close();
            return null;
        });
    }

    /** Closes the device without committing: what a crash does (for tests of what was durable). */
    public void abandon() throws IOException {
        bindings.exclusive(() -> {
            close();
            return null;
        });
    }

    private void close() throws IOException {
        bindings.close();
        device.close();
        bindings.checksum(null);
        bindings.policy(bindings.policyName(), null);
        bindings.strategy(bindings.strategyName(), null);
    }

    // ------------------------------------------------------------------ the services, swapped under the volume

    /** What an operation does, which decides the services it waits for (see {@link VolumeBindings}). */
    enum Access {
        READ, CHANGE, DIRECT
    }

    /** The services an access needs on this volume: a read-only volume allocates nothing. */
    private java.util.Set<VolumeBindings.Service> needs(Access access) {
        return access == Access.READ || readOnly ? VolumeBindings.READ
                : access == Access.CHANGE ? VolumeBindings.CHANGE : VolumeBindings.DIRECT;
    }

    /** Runs an operation (of this volume or of one of its files) inside the gate, once what it needs is bound. */
    <T> T operation(Access access, TreeQuery<T> op) throws IOException {
        bindings.enter(needs(access));
        try {
            return op.run();
        } finally {
            bindings.exit();
        }
    }

    void operation(Access access, TreeUpdate op) throws IOException {
        operation(access, () -> {
            op.run();
            return null;
        });
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
        return bindings.exclusive(() -> {
            if (bindings.bound(what) != gone || bindings.closed()) {
                return false;
            }
            IOException notCommitted = null;
            if (!readOnly && failure == null && dirty()) {
                if (bindings.missing(VolumeBindings.CHANGE) == null) {
                    try {
                        sync(); // with the departing service, still valid inside its unbind
                    } catch (IOException e) {
                        notCommitted = e;
                    }
                } else {
                    notCommitted = new SuspendedException(name, String.join(", ",
                            bindings.missingNames(VolumeBindings.CHANGE)));
                }
            }
            rebind.run();
            if (notCommitted != null) {
                // The data stays dirty in memory, for the commit once everything is back.
                throw notCommitted;
            }
            return true;
        });
    }

    /** Binds an algorithm of the volume's id, if it has none now; answers whether it did. */
    public boolean checksumArrived(ChecksumAlgorithm a) {
        if (bindings.closed() || a.id() != checksum.id() || bindings.checksum() != null) {
            return false;
        }
        bindings.checksum(a);
        return true;
    }

    /** Binds a policy of the wanted name, if it has none now. */
    public boolean policyArrived(AllocationPolicy p) {
        if (bindings.closed() || !p.name().equals(bindings.policyName()) || bindings.policy() != null) {
            return false;
        }
        bindings.policy(p.name(), p);
        return true;
    }

    /** Binds a strategy of the wanted name, if it has none now. */
    public boolean strategyArrived(DioStrategy d) {
        if (bindings.closed() || !d.name().equals(bindings.strategyName()) || bindings.strategy() != null) {
            return false;
        }
        bindings.strategy(d.name(), d);
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
            if (d.size() != device.size() || d.blockSize() != device.blockSize()) {
                return false;
            }
            Superblock now;
            try {
                now = readSuperblock(d, services);
            } catch (IOException e) {
                return false;
            }
            Superblock mine = committed;
            if (!now.uuid.equals(mine.uuid) || now.generation != mine.generation) {
                return false;
            }
            bindings.device(d);
            return true;
        });
    }

    // ------------------------------------------------------------------ trees: inodes and names

    private static Key inodeKey(long ino) {
        return new Key(ino, ItemType.INODE, 0);
    }

    private InodeItem inode(long ino) throws IOException {
        byte[] v = fsTree.get(inodeKey(ino));
        return v == null ? null : InodeItem.decode(v);
    }

    private InodeItem inodeOrThrow(long ino, String path) throws IOException {
        InodeItem i = inode(ino);
        if (i == null) {
            throw new NoSuchFileException(path, null, "no longer exists");
        }
        return i;
    }

    private void putInode(long ino, InodeItem item) throws IOException {
        fsTree.put(inodeKey(ino), item.encode());
    }

    private List<DirEntries.Entry> entries(long dir, String entryName) throws IOException {
        byte[] v = fsTree.get(new Key(dir, ItemType.DIR_ENTRY, DirEntries.hash(entryName)));
        return v == null ? new ArrayList<>() : new ArrayList<>(DirEntries.decode(v));
    }

    private DirEntries.Entry lookup(long dir, String entryName) throws IOException {
        for (DirEntries.Entry e : entries(dir, entryName)) {
            if (e.name().equals(entryName)) {
                return e;
            }
        }
        return null;
    }

    private void addEntry(long dir, String entryName, long ino, boolean isDir) throws IOException {
        List<DirEntries.Entry> list = entries(dir, entryName);
        list.add(new DirEntries.Entry(entryName, ino, isDir));
        byte[] value = DirEntries.encode(list);
        if (value.length > BTree.maxValueBytes(meta.nodeSize())) {
            throw new NotSupportedException("too many names in this directory share a hash with " + entryName);
        }
        fsTree.put(new Key(dir, ItemType.DIR_ENTRY, DirEntries.hash(entryName)), value);
    }

    private void removeEntry(long dir, String entryName) throws IOException {
        List<DirEntries.Entry> list = entries(dir, entryName);
        list.removeIf(e -> e.name().equals(entryName));
        Key k = new Key(dir, ItemType.DIR_ENTRY, DirEntries.hash(entryName));
        if (list.isEmpty()) {
            fsTree.delete(k);
        } else {
            fsTree.put(k, DirEntries.encode(list));
        }
    }

    /**
     * Removes a name and, as there are no hard links, its inode with its cached pages
     * and extents (their blocks are released by the commit). Tree lock held.
     */
    private void unlink(long dir, DirEntries.Entry e) throws IOException {
        space.unreserve(cache.drop(e.inode(), 0, Long.MAX_VALUE));
        extents.remove(e.inode(), 0, Long.MAX_VALUE);
        fsTree.delete(inodeKey(e.inode()));
        removeEntry(dir, e.name());
    }

    private boolean isEmptyDirectory(long dir) throws IOException {
        boolean[] empty = {true};
        fsTree.scan(Key.first(dir, ItemType.DIR_ENTRY), Key.last(dir, ItemType.DIR_ENTRY), (k, v) -> {
            empty[0] = false;
            return false;
        });
        return empty[0];
    }

    /** The inode of the path's last component's parent directory, checking every step. */
    private long resolveDirectory(List<String> parts, int count, String path) throws IOException {
        long ino = ROOT_INODE;
        for (int i = 0; i < count; i++) {
            DirEntries.Entry e = lookup(ino, parts.get(i));
            if (e == null) {
                throw new NoSuchFileException(path);
            }
            if (!e.directory()) {
                throw new NotDirectoryException(path);
            }
            ino = e.inode();
        }
        return ino;
    }

    /** The inode a path names, or -1 when its last component does not exist. */
    private long resolve(String path) throws IOException {
        List<String> parts = Paths.split(path);
        if (parts.isEmpty()) {
            return ROOT_INODE;
        }
        long dir = resolveDirectory(parts, parts.size() - 1, path);
        DirEntries.Entry e = lookup(dir, parts.get(parts.size() - 1));
        return e == null ? -1 : e.inode();
    }

    private long resolveExisting(String path) throws IOException {
        long ino = resolve(path);
        if (ino < 0) {
            throw new NoSuchFileException(path);
        }
        return ino;
    }

    // ------------------------------------------------------------------ namespace operations

    @Override
    public FileHandle open(String path, Set<? extends OpenOption> options) throws IOException {
        checkUsable();
        for (OpenOption o : options) {
            if (!(o instanceof StandardOpenOption)) {
                throw new NotSupportedException("open option " + o);
            }
        }
        boolean create = options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW);
        boolean writable = create || options.contains(StandardOpenOption.WRITE)
                || options.contains(StandardOpenOption.APPEND) || options.contains(StandardOpenOption.TRUNCATE_EXISTING);
        if (writable && readOnly) {
            throw new ReadOnlyException("volume " + name);
        }
        String normalized = Paths.normalize(path);
        // Opening to read changes nothing: it needs neither the allocation policy nor the exclusive lock.
        return operation(writable ? Access.CHANGE : Access.READ, () -> {
            TreeQuery<Long> find = () -> {
                List<String> parts = Paths.split(normalized);
                if (parts.isEmpty()) {
                    throw new FileSystemException(normalized, null, "is a directory");
                }
                long dir = resolveDirectory(parts, parts.size() - 1, normalized);
                String leaf = parts.get(parts.size() - 1);
                DirEntries.Entry e = lookup(dir, leaf);
                if (e != null) {
                    if (options.contains(StandardOpenOption.CREATE_NEW)) {
                        throw new FileAlreadyExistsException(normalized);
                    }
                    if (e.directory()) {
                        throw new FileSystemException(normalized, null, "is a directory");
                    }
                    return e.inode();
                }
                if (!create) {
                    throw new NoSuchFileException(normalized);
                }
                return createInode(dir, leaf, InodeItem.FILE);
            };
            long ino = create ? changing(find) : reading(find);
            CowFile file = new CowFile(this, ino, normalized, writable);
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                truncate(ino, normalized, 0);
            }
            return file;
        });
    }

    private long createInode(long dir, String leaf, int type) throws IOException {
        long ino = nextInode++;
        long now = now();
        putInode(ino, new InodeItem(type, 0, dir, 0, now, now, now, meta.generation(), 0));
        addEntry(dir, leaf, ino, type == InodeItem.DIRECTORY);
        putInode(dir, inodeOrThrow(dir, "parent").touched(now));
        return ino;
    }

    @Override
    public void mkdir(String path) throws IOException {
        operation(Access.CHANGE, () -> {
            checkWritable();
            String normalized = Paths.normalize(path);
            changing(() -> {
                List<String> parts = Paths.split(normalized);
                if (parts.isEmpty()) {
                    throw new FileAlreadyExistsException("/");
                }
                long dir = resolveDirectory(parts, parts.size() - 1, normalized);
                if (lookup(dir, parts.get(parts.size() - 1)) != null) {
                    throw new FileAlreadyExistsException(normalized);
                }
                createInode(dir, parts.get(parts.size() - 1), InodeItem.DIRECTORY);
            });
        });
    }

    @Override
    public List<DirEntry> list(String path) throws IOException {
        return operation(Access.READ, () -> {
            checkUsable();
            String normalized = Paths.normalize(path);
            return reading(() -> {
                long dir = resolveExisting(normalized);
                if (!inodeOrThrow(dir, normalized).isDirectory()) {
                    throw new NotDirectoryException(normalized);
                }
                List<DirEntry> out = new ArrayList<>();
                fsTree.scan(Key.first(dir, ItemType.DIR_ENTRY), Key.last(dir, ItemType.DIR_ENTRY), (k, v) -> {
                    for (DirEntries.Entry e : DirEntries.decode(v)) {
                        out.add(new DirEntry(e.name(), e.inode(), e.directory()));
                    }
                    return true;
                });
                out.sort(Comparator.comparing(DirEntry::name));
                return out;
            });
        });
    }

    @Override
    public FileStat stat(String path) throws IOException {
        return operation(Access.READ, () -> {
            checkUsable();
            String normalized = Paths.normalize(path);
            return reading(() -> {
                long ino = resolveExisting(normalized);
                return stat(ino, inodeOrThrow(ino, normalized));
            });
        });
    }

    FileStat stat(long ino, String path) throws IOException {
        checkUsable();
        return reading(() -> stat(ino, inodeOrThrow(ino, path)));
    }

    /** Tree lock held (shared). */
    private FileStat stat(long ino, InodeItem i) throws IOException {
        Set<FileFlag> flags = EnumSet.noneOf(FileFlag.class);
        if (i.has(InodeItem.NOCOW)) {
            flags.add(FileFlag.NOCOW);
        }
        if (i.has(InodeItem.NODATASUM)) {
            flags.add(FileFlag.NODATASUM);
        }
        // Delayed allocation: pages with a reserved block count as allocated, as Linux counts
        // delalloc blocks (pages going in place have theirs already).
        long allocated = (i.allocated() + cache.reservedPagesOf(ino)) * blockSize;
        long unchecksummed = 0;
        if (!i.isDirectory()) {
            for (Extents.Mapping m : extents.overlapping(ino, 0, Long.MAX_VALUE)) {
                int f = m.extent().flags();
                if ((f & ExtentItem.NODATASUM) != 0 && (f & ExtentItem.UNWRITTEN) == 0) {
                    unchecksummed += m.extent().blocks();
                }
            }
        }
        return new FileStat(ino, i.isDirectory(), i.size(), allocated, flags, instant(i.mtime()), instant(i.ctime()),
                instant(i.crtime()), Math.min(i.size(), unchecksummed * blockSize));
    }

    private static Instant instant(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }

    @Override
    public void delete(String path) throws IOException {
        operation(Access.CHANGE, () -> {
            checkWritable();
            String normalized = Paths.normalize(path);
            List<String> parts = Paths.split(normalized);
            if (parts.isEmpty()) {
                throw new InvalidArgumentException("path", "/", "a path below the root; the root cannot be removed");
            }
            long ino = reading(() -> resolveExisting(normalized));
            ReentrantLock fileLock = fileLock(ino);
            fileLock.lock();
            try {
                changing(() -> {
                    long dir = resolveDirectory(parts, parts.size() - 1, normalized);
                    DirEntries.Entry e = lookup(dir, parts.get(parts.size() - 1));
                    if (e == null || e.inode() != ino) {
                        throw new NoSuchFileException(normalized);
                    }
                    if (e.directory() && !isEmptyDirectory(ino)) {
                        throw new DirectoryNotEmptyException(normalized);
                    }
                    unlink(dir, e);
                    putInode(dir, inodeOrThrow(dir, "parent").touched(now()));
                });
            } finally {
                fileLock.unlock();
            }
        });
    }

    @Override
    public void rename(String from, String to) throws IOException {
        operation(Access.CHANGE, () -> {
            checkWritable();
            String source = Paths.normalize(from);
            String target = Paths.normalize(to);
            List<String> sp = Paths.split(source);
            List<String> tp = Paths.split(target);
            if (sp.isEmpty() || tp.isEmpty()) {
                throw new InvalidArgumentException("path", sp.isEmpty() ? source : target,
                        "a path below the root; the root cannot be renamed or replaced");
            }
            if (tp.size() > sp.size() && tp.subList(0, sp.size()).equals(sp)) {
                throw new InvalidArgumentException("rename target", target, "not inside " + source);
            }
            changing(() -> {
                long sdir = resolveDirectory(sp, sp.size() - 1, source);
                DirEntries.Entry s = lookup(sdir, sp.get(sp.size() - 1));
                if (s == null) {
                    throw new NoSuchFileException(source);
                }
                long tdir = resolveDirectory(tp, tp.size() - 1, target);
                DirEntries.Entry t = lookup(tdir, tp.get(tp.size() - 1));
                if (t != null && t.inode() == s.inode()) {
                    return; // the same file: nothing to do, as rename(2)
                }
                if (t != null) {
                    if (t.directory() && !s.directory()) {
                        throw new FileSystemException(target, null, "is a directory");
                    }
                    if (!t.directory() && s.directory()) {
                        throw new NotDirectoryException(target);
                    }
                    if (t.directory() && !isEmptyDirectory(t.inode())) {
                        throw new DirectoryNotEmptyException(target);
                    }
                    unlink(tdir, t);
                }
                removeEntry(sdir, s.name());
                addEntry(tdir, tp.get(tp.size() - 1), s.inode(), s.directory());
                long now = now();
                putInode(s.inode(), inodeOrThrow(s.inode(), source).withParent(tdir, now));
                putInode(sdir, inodeOrThrow(sdir, "parent").touched(now));
                if (tdir != sdir) {
                    putInode(tdir, inodeOrThrow(tdir, "parent").touched(now));
                }
            });
        });
    }

    // ------------------------------------------------------------------ file data

    long size(long ino, String path) throws IOException {
        checkUsable();
        return reading(() -> inodeOrThrow(ino, path).size());
    }

    int read(long ino, String path, ByteBuffer dst, long offset) throws IOException {
        checkUsable();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        return reading(() -> {
            long size = inodeOrThrow(ino, path).size();
            if (offset >= size) {
                return -1;
            }
            int length = (int) Math.min(dst.remaining(), size - offset);
            long first = offset / blockSize;
            long last = (offset + length - 1) / blockSize;
            byte[] bytes = readBlocks(ino, path, first, (int) (last - first + 1), length < STREAMING_READ);
            dst.put(bytes, (int) (offset % blockSize), length);
            return length;
        });
    }

    /**
     * The content of file blocks {@code [first, first + count)}: cached pages, or blocks
     * read from the device and verified, or zeros (holes, preallocated blocks). Called
     * with the tree lock held.
     */
    private byte[] readBlocks(long ino, String path, long first, int count, boolean cacheThem) throws IOException {
        byte[] out = new byte[count * blockSize];
        boolean[] have = new boolean[count];
        int missing = 0;
        for (int i = 0; i < count; i++) {
            have[i] = cache.copyOut(ino, first + i, 0, out, i * blockSize, blockSize);
            if (!have[i]) {
                missing++;
            }
        }
        if (missing == 0) {
            return out;
        }
        for (Extents.Mapping m : extents.overlapping(ino, first, first + count)) {
            long from = Math.max(first, m.fileBlock());
            long to = Math.min(first + count, m.fileEnd());
            if (m.extent().unwritten()) {
                continue; // reads as zeros
            }
            long b = from;
            while (b < to) {
                if (have[(int) (b - first)]) {
                    b++;
                    continue;
                }
                long runEnd = b + 1;
                while (runEnd < to && !have[(int) (runEnd - first)] && runEnd - b < MAX_WRITE_RUN) {
                    runEnd++;
                }
                int n = (int) (runEnd - b);
                long physical = m.extent().physical() + (b - m.fileBlock());
                int at = (int) (b - first) * blockSize;
                ByteBuffer target = ByteBuffer.wrap(out, at, n * blockSize);
                device.read(target, physical * blockSize);
                if (m.extent().checksummed()) {
                    verify(path, b, physical, n, out, at);
                }
                if (cacheThem) {
                    for (int k = 0; k < n; k++) {
                        cache.putClean(ino, b + k, out, at + k * blockSize);
                    }
                }
                b = runEnd;
            }
        }
        return out;
    }

    private void verify(String path, long fileBlock, long physical, int n, byte[] data, int at) throws IOException {
        int d = checksum.digestLength();
        byte[] expected = checksums.lookup(physical, n);
        if (expected == null) {
            throw new CorruptImageException(deviceUri.toString(), "blocks " + physical + "+" + n + " of " + path
                    + " have no checksums");
        }
        byte[] actual = new byte[d];
        for (int k = 0; k < n; k++) {
            checksum.digest(ByteBuffer.wrap(data, at + k * blockSize, blockSize), actual, 0);
            if (!java.util.Arrays.equals(expected, k * d, (k + 1) * d, actual, 0, d)) {
                throw new ChecksumMismatchException(name, path, (fileBlock + k) * blockSize, physical + k,
                        checksum.name(), java.util.Arrays.copyOfRange(expected, k * d, (k + 1) * d), actual);
            }
        }
    }

    int write(long ino, String path, ByteBuffer src, long offset) throws IOException {
        checkWritable();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        int length = src.remaining();
        if (length == 0) {
            return 0;
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new InvalidArgumentException("offset", offset, "an offset such that the write ends below 2^63");
        }
        if (cache.dirtyPages() > cache.dirtyLimit()) {
            // Write back before accepting more than the cache holds, not after: a write that
            // was accepted must not then report a failure of that writeback (SuspendedException
            // while the allocation policy is away) as its own.
            writeBackDirtyPages();
        }
        int srcBase = src.position();
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            long first = offset / blockSize;
            long last = (offset + length - 1) / blockSize;
            long size = size(ino, path);
            // Blocks that will be overwritten in place need no space; every other one that is
            // not dirty yet gets its block promised now, so the flush cannot run out.
            Placement where = placementForWrite(ino, path, first, (int) (last - first + 1));
            boolean[] inPlace = where == null ? null : where.inPlace();
            long needed = 0;
            for (long b = first; b <= last; b++) {
                if (!cache.isDirty(ino, b) && (inPlace == null || !inPlace[(int) (b - first)])) {
                    needed++;
                }
            }
            reserve(needed);
            long dirtied = 0;
            CallerBuffer caller = new CallerBuffer(src, blockSize, copies);
            CallerBuffer.Fault fault = null;
            int srcAt = 0;
            for (long b = first; b <= last; b++) {
                int from = b == first ? (int) (offset % blockSize) : 0;
                int to = b == last ? (int) ((offset + length - 1) % blockSize) + 1 : blockSize;
                byte[] base = null;
                if ((from > 0 || to < blockSize) && !cache.isCached(ino, b) && b * blockSize < size) {
                    base = readBlockForUpdate(ino, path, b);
                }
                ByteBuffer piece;
                try {
                    piece = caller.read(srcAt, to - from); // staged when the caller's memory may fault
                } catch (CallerBuffer.Fault f) {
                    fault = f; // the blocks before this one are the prefix written
                    break;
                }
                boolean reserve = inPlace == null || !inPlace[(int) (b - first)];
                if (cache.write(ino, b, from, piece, piece.position(), to - from, base, reserve) && reserve) {
                    dirtied++;
                }
                copies.intoCache(to - from);
                srcAt += to - from;
            }
            settleReservation(needed, dirtied);
            long written = srcAt;
            if (written > 0) {
                changing(() -> {
                    InodeItem inode = inodeOrThrow(ino, path);
                    putInode(ino, inode.withSize(Math.max(inode.size(), offset + written), now()));
                });
            }
            if (fault != null) {
                src.position(srcBase + srcAt);
                throw new SourceFaultException(path, offset, written, fault.getCause());
            }
        } finally {
            fileLock.unlock();
        }
        src.position(src.limit());
        return length;
    }

    private byte[] readBlockForUpdate(long ino, String path, long block) throws IOException {
        return reading(() -> readBlocks(ino, path, block, 1, false));
    }

    /**
     * Promises {@code blocks} to a write, committing once to make blocks freed by the
     * running transaction reusable before answering that there is no space.
     */
    private void reserve(long blocks) throws IOException {
        if (blocks == 0 || space.reserve(blocks)) {
            return;
        }
        if (space.pendingBlocks() > 0 || cache.dirtyPages() > 0) {
            sync();
            if (space.reserve(blocks)) {
                return;
            }
        }
        throw new NoSpaceException("volume " + name, blocks * blockSize, space.availableBlocks() * blockSize);
    }

    /**
     * A commit between counting and writing can turn dirty pages back into pages that
     * need a block: settle the difference (a few blocks at most, taken from the
     * metadata reserve if they must be).
     */
    private void settleReservation(long reserved, long dirtied) {
        if (dirtied < reserved) {
            space.unreserve(reserved - dirtied);
        } else if (dirtied > reserved) {
            space.reserveAnyway(dirtied - reserved);
        }
    }

    // ------------------------------------------------------------------ direct writes (P1, P3)

    /**
     * Where a direct write puts a run of its blocks: in place over the file's own block,
     * or a new block. {@code fileBlock} and {@code at} (the block index in the write) give the position.
     */
    private record DirectPiece(long fileBlock, int at, long physical, int blocks, boolean inPlace, int oldFlags) {
        /**
         * Written data that readers may be verifying: replaced under the exclusive tree lock,
         * together with its checksum, so no reader sees new data with an old checksum.
         */
        boolean overwritesWrittenData() {
            return inPlace && (oldFlags & ExtentItem.UNWRITTEN) == 0;
        }
    }

    /** The facts a DIO strategy decides on, as of now: the file's lock is held while it decides. */
    private final class DirectFacts implements DirectWrite {
        private final long ino;
        private final String path;
        private final long offset;
        private final long length;
        private final boolean aligned;
        private final boolean checksummed;
        private final boolean nocow;
        private Boolean shared;

        DirectFacts(long ino, String path, long offset, long length, boolean aligned, InodeItem inode) {
            this.ino = ino;
            this.path = path;
            this.offset = offset;
            this.length = length;
            this.aligned = aligned;
            this.checksummed = !inode.has(InodeItem.NODATASUM);
            this.nocow = inode.has(InodeItem.NOCOW);
        }

        @Override
        public String volume() {
            return name;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public boolean aligned() {
            return aligned;
        }

        @Override
        public boolean checksummed() {
            return checksummed;
        }

        @Override
        public boolean nocow() {
            return nocow;
        }

        /** Looked up only when a strategy asks: it costs reference-count lookups. */
        @Override
        public boolean shared() {
            if (shared == null) {
                try {
                    shared = anyShared(ino, offset / blockSize, blocksCovering(offset + length));
                } catch (IOException e) {
                    shared = Boolean.TRUE; // unknown: the cautious answer
                }
            }
            return shared;
        }
    }

    private boolean anyShared(long ino, long first, long end) throws IOException {
        return changing(() -> {
            refCounts.apply(ledger);
            for (Extents.Mapping m : extents.overlapping(ino, first, end)) {
                long from = Math.max(first, m.fileBlock());
                long to = Math.min(end, m.fileEnd());
                for (long[] run : refCounts.runs(m.extent().physical() + (from - m.fileBlock()), to - from)) {
                    if (run[2] > 1) {
                        return true;
                    }
                }
            }
            return false;
        });
    }

    private DioStrategy strategy() throws SuspendedException {
        DioStrategy s = bindings.strategy();
        if (s == null) {
            throw new SuspendedException(name, bindings.describe(VolumeBindings.Service.STRATEGY));
        }
        return s;
    }

    /** Changes the DIO fallback strategy used from the next direct write on; it must be installed. */
    public void dioStrategy(String strategyName) throws NotSupportedException {
        DioStrategy s = services.dioStrategy(strategyName);
        if (s == null) {
            throw new NotSupportedException("DIO strategy " + strategyName + " is not installed");
        }
        bindings.strategy(strategyName, s);
    }

    public String dioStrategy() {
        return bindings.strategyName();
    }

    /** The free extents now, start block to length in blocks (a copy): what fragmentation reports show. */
    public java.util.SortedMap<Long, Long> freeExtents() {
        return space.snapshot();
    }

    /** Bytes of file data copied so far, by where (see {@link DataCopies}). */
    public DataCopies.Snapshot dataCopies() {
        return copies.snapshot();
    }

    /**
     * A direct write: the volume's DIO strategy decides how, from the facts, and this
     * executes the decision. Unaligned writes can only be buffered, whatever it says.
     */
    int writeDirect(long ino, String path, ByteBuffer src, long offset) throws IOException {
        checkWritable();
        int length = src.remaining();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        if (length == 0) {
            return 0;
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new InvalidArgumentException("offset", offset, "an offset such that the write ends below 2^63");
        }
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            InodeItem inode = reading(() -> inodeOrThrow(ino, path));
            boolean aligned = offset % blockSize == 0 && length % blockSize == 0;
            DirectFacts facts = new DirectFacts(ino, path, offset, length, aligned, inode);
            DioMode mode = strategy().choose(facts);
            if (mode == null || !aligned) {
                mode = DioMode.BUFFERED; // the only way to write part of a block, and the safe answer to none
            }
            copies.directWrite(mode);
            if (mode == DioMode.BUFFERED) {
                return write(ino, path, src, offset);
            }
            return writeBlocksDirect(ino, path, src, offset, mode, facts.checksummed());
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * Writes whole blocks around the cache, from a private copy ({@link DioMode#BOUNCE})
     * or from the caller's buffer (the other modes), checksummed unless the mode is
     * {@link DioMode#NODATASUM} or the file is not. The pieces that were written form a
     * prefix of the write; a failure links that prefix and gives back the rest, so the
     * file is as if the prefix alone had been written (P3). File lock held.
     */
    private int writeBlocksDirect(long ino, String path, ByteBuffer src, long offset, DioMode mode,
            boolean checksummed) throws IOException {
        int length = src.remaining();
        long first = offset / blockSize;
        int blocks = length / blockSize;
        if (cache.dirtyPagesOf(ino, first, first + blocks) > 0) {
            // As the kernel writes a range back before a direct write to it: a dirty page
            // must not land over this data later.
            sync();
        }
        boolean sums = checksummed && mode != DioMode.NODATASUM;
        int flags = sums ? 0 : ExtentItem.NODATASUM;
        CallerBuffer caller = new CallerBuffer(src, blockSize, copies);
        Throwable fault = null;
        // The bytes the device is given: a private copy, or the caller's own.
        ByteBuffer data = caller.data();
        if (mode == DioMode.BOUNCE) {
            data = device.allocate(length);
            try {
                caller.copyTo(data, blocks);
            } catch (CallerBuffer.Fault f) {
                blocks = f.blocks;
                fault = f.getCause();
            }
        }
        int dl = checksum.digestLength();
        byte[] digests = sums ? new byte[blocks * dl] : null;
        if (sums) {
            for (int k = 0; k < blocks; k++) {
                try {
                    ByteBuffer block = mode == DioMode.BOUNCE ? data.slice(k * blockSize, blockSize) : caller.block(k);
                    checksum.digest(block, digests, k * dl);
                } catch (CallerBuffer.Fault f) {
                    blocks = f.blocks;
                    fault = f.getCause();
                    break;
                }
            }
        }
        if (blocks == 0) {
            throw new SourceFaultException(path, offset, 0, fault);
        }
        int count = blocks;
        Placement where = placementForWrite(ino, path, first, count);
        long cow = where == null ? count : count - where.inPlaceCount();
        reserve(cow);
        List<DirectPiece> pieces = new ArrayList<>();
        long allocated = 0;
        try {
            int k = 0;
            while (k < count) {
                int j = where == null ? count : where.runEnd(k);
                if (where != null && where.inPlace[k]) {
                    pieces.add(new DirectPiece(first + k, k, where.physical[k], j - k, true, where.flags[k]));
                    k = j;
                    continue;
                }
                long runStart = first + k;
                long hint = reading(() -> extents.hint(ino, runStart));
                while (k < j) {
                    Extent e = space.allocateRun(policy(), j - k, hint, true);
                    pieces.add(new DirectPiece(first + k, k, e.start(), (int) e.length(), false, 0));
                    allocated += e.length();
                    hint = e.end();
                    k += (int) e.length();
                }
            }
        } catch (IOException | RuntimeException e) {
            giveBack(pieces, 0);
            space.unreserve(cow - allocated);
            throw e;
        }
        // Pass 1, without the tree lock: new blocks and preallocated ones, which no reader
        // sees until the pieces are linked. A piece that fails ends the prefix there.
        int failAt = pieces.size();
        Throwable failure = null;
        for (int i = 0; i < pieces.size(); i++) {
            DirectPiece piece = pieces.get(i);
            if (piece.overwritesWrittenData()) {
                continue;
            }
            try {
                writePiece(data, piece);
                if (mode == DioMode.VERIFY) {
                    recheck(caller, piece, digests);
                }
            } catch (IOException | RuntimeException | InternalError e) {
                failAt = i;
                failure = e;
                break;
            }
        }
        ByteBuffer source = data;
        int[] end = {failAt};
        Throwable[] failed = {failure};
        changing(() -> {
            // Pass 2: written data overwritten in place, with its checksum, under the lock.
            for (int i = 0; i < end[0]; i++) {
                DirectPiece piece = pieces.get(i);
                if (!piece.overwritesWrittenData()) {
                    continue;
                }
                try {
                    writePiece(source, piece);
                    if (mode == DioMode.VERIFY) {
                        recheck(caller, piece, digests);
                    }
                } catch (IOException | RuntimeException | InternalError e) {
                    resettle(piece);
                    end[0] = i;
                    failed[0] = e;
                    break;
                }
            }
            space.unreserve(cache.drop(ino, first, first + count));
            long allocatedDelta = 0;
            for (int i = 0; i < end[0]; i++) {
                DirectPiece piece = pieces.get(i);
                byte[] part = sums ? java.util.Arrays.copyOfRange(digests, piece.at() * dl,
                        (piece.at() + piece.blocks()) * dl) : null;
                ExtentItem item = new ExtentItem(piece.physical(), piece.blocks(), flags);
                if (piece.inPlace()) {
                    checksums.delete(piece.physical(), piece.blocks());
                    if (piece.oldFlags() != flags) {
                        extents.retag(ino, piece.fileBlock(), item);
                    }
                } else {
                    ledger.add(piece.physical(), piece.blocks(), +1, sums);
                    allocatedDelta += extents.replace(ino, piece.fileBlock(), item);
                }
                if (sums) {
                    checksums.insert(piece.physical(), part);
                }
            }
            long linked = prefixBlocks(pieces, end[0], count) * (long) blockSize;
            if (linked > 0 || allocatedDelta != 0) {
                InodeItem now = inodeOrThrow(ino, path);
                putInode(ino, now.withSize(Math.max(now.size(), offset + linked), now())
                        .withAllocated(now.allocated() + allocatedDelta));
            }
        });
        giveBack(pieces, end[0]);
        int written = prefixBlocks(pieces, end[0], count) * blockSize;
        src.position(src.position() + written);
        failure = failed[0];
        if (failure instanceof InternalError) {
            throw new SourceFaultException(path, offset, written, failure);
        }
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (fault != null) {
            throw new SourceFaultException(path, offset, written, fault);
        }
        return written;
    }

    /** Blocks of a direct write of {@code count} blocks before piece {@code end}: the prefix it links. */
    private static int prefixBlocks(List<DirectPiece> pieces, int end, int count) {
        return end == pieces.size() ? count : pieces.get(end).at();
    }

    private void writePiece(ByteBuffer data, DirectPiece piece) throws IOException {
        device.write(data.slice(piece.at() * blockSize, piece.blocks() * blockSize), piece.physical() * blockSize);
    }

    /**
     * {@link DioMode#VERIFY}'s second look: checksums the caller's blocks again and
     * rewrites, from a private copy, each block that changed since its checksum was
     * taken (the device may have written either state, or a mix). A block that can no
     * longer be read (the source faulted) takes its checksum from what the device holds.
     */
    private void recheck(CallerBuffer caller, DirectPiece piece, byte[] digests) throws IOException {
        int dl = checksum.digestLength();
        byte[] now = new byte[dl];
        for (int k = piece.at(); k < piece.at() + piece.blocks(); k++) {
            long physical = piece.physical() + (k - piece.at());
            ByteBuffer block;
            try {
                block = caller.block(k);
            } catch (CallerBuffer.Fault f) {
                digestFromDevice(physical, piece.at() + piece.blocks() - k, digests, k * dl);
                return;
            }
            checksum.digest(block.duplicate(), now, 0);
            if (!java.util.Arrays.equals(now, 0, dl, digests, k * dl, k * dl + dl)) {
                ByteBuffer copy = device.allocate(blockSize);
                copy.put(block).flip();
                copies.bounced(blockSize);
                checksum.digest(copy.duplicate(), digests, k * dl);
                device.write(copy, physical * blockSize);
            }
        }
    }

    /**
     * An in-place overwrite of written data failed part-way: the blocks hold an unknown
     * mix of old and new. Their checksums are taken from what the device holds, so the
     * mix reads back as it is instead of as a false mismatch. Tree lock held.
     */
    private void resettle(DirectPiece piece) {
        if ((piece.oldFlags() & ExtentItem.NODATASUM) != 0) {
            return;
        }
        try {
            byte[] digests = new byte[piece.blocks() * checksum.digestLength()];
            digestFromDevice(piece.physical(), piece.blocks(), digests, 0);
            checksums.delete(piece.physical(), piece.blocks());
            checksums.insert(piece.physical(), digests);
        } catch (IOException | RuntimeException e) {
            // The device cannot read them either: they will report the media error.
        }
    }

    private void digestFromDevice(long physical, int n, byte[] out, int at) throws IOException {
        ByteBuffer buf = device.allocate(n * blockSize);
        device.read(buf, physical * blockSize);
        for (int k = 0; k < n; k++) {
            checksum.digest(buf.slice(k * blockSize, blockSize), out, at + k * checksum.digestLength());
        }
    }

    /** New blocks of pieces from {@code from} on were never referenced: reusable at once. */
    private void giveBack(List<DirectPiece> pieces, int from) {
        for (DirectPiece p : pieces.subList(from, pieces.size())) {
            if (!p.inPlace()) {
                space.giveBack(p.physical(), p.blocks());
            }
        }
    }

    long append(long ino, String path, ByteBuffer src, boolean direct) throws IOException {
        checkWritable();
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            // The position is fixed once, under the file's lock: never re-read after a failure.
            long at = size(ino, path);
            if (direct) {
                writeDirect(ino, path, src, at);
            } else {
                write(ino, path, src, at);
            }
            return at;
        } finally {
            fileLock.unlock();
        }
    }

    /** Bytes an append from a channel reads before it writes them. */
    private static final int APPEND_CHUNK = 1 << 20;

    long appendFrom(long ino, String path, java.nio.channels.ReadableByteChannel source, long count, boolean direct)
            throws IOException {
        checkWritable();
        if (count < 0) {
            throw new InvalidArgumentException("count", count, ">= 0");
        }
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            long at = size(ino, path); // fixed once: a failure below never moves it
            ByteBuffer chunk = device.allocate((int) Math.min(APPEND_CHUNK, Math.max(blockSize, count)));
            long done = 0;
            IOException fault = null;
            boolean end = false;
            while (done < count && !end && fault == null) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), count - done));
                try {
                    while (chunk.hasRemaining()) {
                        if (source.read(chunk) < 0) {
                            end = true;
                            break;
                        }
                    }
                } catch (IOException e) {
                    fault = e; // what it delivered before is still written: it is the prefix
                } catch (RuntimeException e) {
                    fault = new IOException(e.toString(), e);
                }
                chunk.flip();
                if (chunk.hasRemaining()) {
                    int n = chunk.remaining();
                    if (direct) {
                        writeDirect(ino, path, chunk, at + done);
                    } else {
                        write(ino, path, chunk, at + done);
                    }
                    done += n;
                }
            }
            if (fault != null) {
                throw new SourceFaultException(path, at, done, fault);
            }
            return done;
        } finally {
            fileLock.unlock();
        }
    }

    void truncate(long ino, String path, long size) throws IOException {
        checkWritable();
        if (size < 0) {
            throw new InvalidArgumentException("size", size, ">= 0");
        }
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            long old = size(ino, path);
            long keep = blocksCovering(size);
            if (size < old && size % blockSize != 0) {
                // The bytes past the new end of the last block must read as zeros if the
                // file grows again.
                zeroInBlock(ino, path, size / blockSize, (int) (size % blockSize), blockSize);
            }
            changing(() -> {
                InodeItem inode = inodeOrThrow(ino, path);
                long removed = 0;
                if (size < old) {
                    space.unreserve(cache.drop(ino, keep, Long.MAX_VALUE));
                    removed = extents.remove(ino, keep, Long.MAX_VALUE);
                }
                putInode(ino, inode.withSize(size, now()).withAllocated(inode.allocated() - removed));
            });
        } finally {
            fileLock.unlock();
        }
    }

    /** True when the file block is cached or mapped to written data (not a hole, not preallocated). */
    private boolean holdsData(long ino, long block) throws IOException {
        if (cache.isCached(ino, block)) {
            return true;
        }
        return reading(() -> extents.overlapping(ino, block, block + 1).stream()
                .anyMatch(m -> !m.extent().unwritten()));
    }

    /**
     * Makes bytes {@code [from, to)} of a file block read as zeros when it holds data:
     * the edges of a truncate, punch or zero range. Never fails for lack of space (a
     * block may come from the metadata reserve): shrinking must always be possible.
     * The file's lock is held.
     */
    private void zeroInBlock(long ino, String path, long block, int from, int to) throws IOException {
        if (from >= to || !holdsData(ino, block)) {
            return;
        }
        byte[] base = cache.isCached(ino, block) ? null : readBlockForUpdate(ino, path, block);
        boolean needs = !cache.isDirty(ino, block);
        if (needs) {
            space.reserveAnyway(1);
        }
        boolean dirtied = cache.write(ino, block, from, ByteBuffer.wrap(new byte[to - from]), 0, to - from, base, true);
        settleReservation(needs ? 1 : 0, dirtied ? 1 : 0);
    }

    List<ExtentMapping> extents(long ino, String path, long offset, long length) throws IOException {
        checkUsable();
        if (offset < 0 || length < 0) {
            throw new InvalidArgumentException("range", offset + "+" + length, "offset and length >= 0");
        }
        if (cache.dirtyPagesOf(ino) > 0) {
            sync(); // as FIEMAP_FLAG_SYNC: map what delayed allocation has not placed yet
        }
        return changing(() -> {
            refCounts.apply(ledger); // sharing as of now
            long size = inodeOrThrow(ino, path).size();
            long end = length == 0 ? size : Math.min(size, offset + length);
            List<ExtentMapping> out = new ArrayList<>();
            if (offset >= end) {
                return out;
            }
            long first = offset / blockSize;
            long last = blocksCovering(end);
            long pos = first;
            for (Extents.Mapping m : extents.overlapping(ino, first, last)) {
                long from = Math.max(first, m.fileBlock());
                long to = Math.min(last, m.fileEnd());
                if (from > pos) {
                    add(out, pos, from - pos, -1, EnumSet.of(ExtentMapping.Flag.HOLE));
                }
                long physical = m.extent().physical() + (from - m.fileBlock());
                for (long[] run : refCounts.runs(physical, to - from)) {
                    EnumSet<ExtentMapping.Flag> flags = EnumSet.noneOf(ExtentMapping.Flag.class);
                    if (m.extent().unwritten()) {
                        flags.add(ExtentMapping.Flag.UNWRITTEN);
                    }
                    if (!m.extent().checksummed()) {
                        flags.add(ExtentMapping.Flag.NODATASUM);
                    }
                    if (run[2] > 1) {
                        flags.add(ExtentMapping.Flag.SHARED);
                    }
                    add(out, from + (run[0] - physical), run[1], run[0], flags);
                }
                pos = to;
            }
            if (pos < last) {
                add(out, pos, last - pos, -1, EnumSet.of(ExtentMapping.Flag.HOLE));
            }
            return out;
        });
    }

    /** Appends a mapping in bytes, merging with the previous one when flags match and blocks continue. */
    private void add(List<ExtentMapping> out, long fileBlock, long blocks, long physical,
            Set<ExtentMapping.Flag> flags) {
        long logical = fileBlock * blockSize;
        long bytes = blocks * blockSize;
        if (!out.isEmpty()) {
            ExtentMapping prev = out.get(out.size() - 1);
            boolean continues = prev.logical() + prev.length() == logical && prev.flags().equals(flags)
                    && (physical < 0 ? prev.physical() < 0 : prev.physical() + prev.length() == physical * blockSize);
            if (continues) {
                out.set(out.size() - 1, new ExtentMapping(prev.logical(), prev.length() + bytes, prev.physical(), flags));
                return;
            }
        }
        out.add(new ExtentMapping(logical, bytes, physical < 0 ? -1 : physical * blockSize, flags));
    }

    // ------------------------------------------------------------------ extent operations

    /** Longest dedupe request honoured at once, as the kernel's: longer ones are shortened. */
    static final long MAX_DEDUPE_BYTES = 16L << 20;
    /** Blocks compared per read while deduping. */
    private static final int DEDUPE_CHUNK = 256;

    private long blocksCovering(long bytes) {
        return (bytes + blockSize - 1) / blockSize;
    }

    void fallocate(long ino, String path, FallocateMode mode, long offset, long length) throws IOException {
        checkWritable();
        if (offset < 0) {
            throw new InvalidArgumentException("fallocate offset", offset, ">= 0");
        }
        if (length <= 0) {
            throw new InvalidArgumentException("fallocate length", length, "> 0");
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new InvalidArgumentException("fallocate length", length, "a range that ends below 2^63");
        }
        long end = offset + length;
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            long size = size(ino, path);
            switch (mode) {
                case ALLOCATE:
                case ALLOCATE_KEEP_SIZE:
                    preallocate(ino, path, offset / blockSize, blocksCovering(end), 0);
                    break;
                case PUNCH_HOLE:
                    punch(ino, path, offset, end, size);
                    break;
                case ZERO_RANGE:
                case ZERO_RANGE_KEEP_SIZE: {
                    // The whole blocks get fresh preallocated ones: promised before anything
                    // changes, so a full volume refuses the request instead of half doing it.
                    long full = Math.max(0, end / blockSize - blocksCovering(offset));
                    reserve(full);
                    punch(ino, path, offset, end, size);
                    preallocate(ino, path, blocksCovering(offset), end / blockSize, full);
                    break;
                }
                case UNSHARE:
                    unshare(ino, path, offset / blockSize, blocksCovering(Math.min(end, size)));
                    break;
                default:
                    throw new NotSupportedException("fallocate mode " + mode);
            }
            boolean grows = mode == FallocateMode.ALLOCATE || mode == FallocateMode.ZERO_RANGE;
            changing(() -> {
                InodeItem inode = inodeOrThrow(ino, path);
                long newSize = grows ? Math.max(inode.size(), end) : inode.size();
                putInode(ino, inode.withSize(newSize, now()));
            });
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * Gives the holes of file blocks {@code [first, last)} preallocated (unwritten) blocks,
     * which read as zeros and are written in place later. Blocks already mapped, and
     * dirty pages over holes (they hold a reservation already), are left alone.
     *
     * @param reserved blocks the caller has reserved for this already
     */
    private void preallocate(long ino, String path, long first, long last, long reserved) throws IOException {
        List<long[]> holes = reading(() -> holes(ino, first, last));
        long needed = holes.stream().mapToLong(h -> h[1]).sum();
        if (needed > reserved) {
            reserve(needed - reserved);
        } else {
            space.unreserve(reserved - needed);
        }
        if (needed == 0) {
            return;
        }
        changing(() -> {
            long allocated = 0;
            for (long[] hole : holes) {
                long done = 0;
                while (done < hole[1]) {
                    long at = hole[0] + done;
                    Extent e = allocateContiguous(hole[1] - done, extents.hint(ino, at));
                    ledger.add(e.start(), e.length(), +1, false);
                    allocated += extents.replace(ino, at, new ExtentItem(e.start(), e.length(), ExtentItem.UNWRITTEN));
                    done += e.length();
                }
            }
            InodeItem inode = inodeOrThrow(ino, path);
            putInode(ino, inode.withAllocated(inode.allocated() + allocated));
        });
    }

    /** Reserved blocks in one extent when free space allows it, else the policy's best piece. */
    private Extent allocateContiguous(long blocks, long hint) throws IOException {
        try {
            return space.allocate(policy(), blocks, blocks, hint, true);
        } catch (NoSpaceException fragmented) {
            return space.allocate(policy(), blocks, 1, hint, true);
        }
    }

    /** Runs {start, length} of file blocks in {@code [first, last)} that are neither mapped nor dirty. Tree lock held. */
    private List<long[]> holes(long ino, long first, long last) throws IOException {
        List<long[]> out = new ArrayList<>();
        long pos = first;
        for (Extents.Mapping m : extents.overlapping(ino, first, last)) {
            addCleanRuns(out, ino, pos, m.fileBlock());
            pos = Math.max(pos, m.fileEnd());
        }
        addCleanRuns(out, ino, pos, last);
        return out;
    }

    /** Adds the runs of {@code [from, to)} whose pages are not dirty. */
    private void addCleanRuns(List<long[]> out, long ino, long from, long to) {
        long b = from;
        while (b < to) {
            if (cache.isDirty(ino, b)) {
                b++;
                continue;
            }
            long runEnd = b + 1;
            while (runEnd < to && !cache.isDirty(ino, runEnd)) {
                runEnd++;
            }
            out.add(new long[] {b, runEnd - b});
            b = runEnd;
        }
    }

    /**
     * Makes {@code [offset, end)} read as zeros: the partial blocks at its edges are
     * zeroed, the whole blocks between unmapped (their references dropped). The size does
     * not change. The file's lock is held.
     */
    private void punch(long ino, String path, long offset, long end, long size) throws IOException {
        long head = offset / blockSize;
        long tail = end / blockSize;
        zeroPart(ino, path, head, offset, end, size);
        if (tail != head) {
            zeroPart(ino, path, tail, offset, end, size);
        }
        long firstFull = blocksCovering(offset);
        if (firstFull < tail) {
            changing(() -> {
                space.unreserve(cache.drop(ino, firstFull, tail));
                long removed = extents.remove(ino, firstFull, tail);
                InodeItem inode = inodeOrThrow(ino, path);
                putInode(ino, inode.withAllocated(inode.allocated() - removed).touched(now()));
            });
        }
    }

    /** Zeroes the part of {@code [offset, end)} below {@code size} in block {@code block}, unless it covers the block. */
    private void zeroPart(long ino, String path, long block, long offset, long end, long size) throws IOException {
        long blockStart = block * blockSize;
        long from = Math.max(offset, blockStart);
        long to = Math.min(Math.min(end, size), blockStart + blockSize);
        boolean whole = offset <= blockStart && end >= blockStart + blockSize;
        if (!whole && from < to) {
            zeroInBlock(ino, path, block, (int) (from - blockStart), (int) (to - blockStart));
        }
    }

    /**
     * Gives file blocks {@code [first, last)} private copies of every block they share:
     * each becomes a dirty page with a reserved block, so the next commit copies it.
     */
    private void unshare(long ino, String path, long first, long last) throws IOException {
        if (first >= last) {
            return;
        }
        List<Long> shared = changing(() -> {
            refCounts.apply(ledger);
            List<Long> out = new ArrayList<>();
            for (Extents.Mapping m : extents.overlapping(ino, first, last)) {
                if (m.extent().unwritten()) {
                    continue; // never shared: clones map preallocated blocks as holes
                }
                long from = Math.max(first, m.fileBlock());
                long to = Math.min(last, m.fileEnd());
                long p0 = m.extent().physical() + (from - m.fileBlock());
                for (long[] run : refCounts.runs(p0, to - from)) {
                    if (run[2] > 1) {
                        for (long b = 0; b < run[1]; b++) {
                            long fileBlock = from + (run[0] - p0) + b;
                            if (!cache.isDirty(ino, fileBlock)) {
                                out.add(fileBlock);
                            }
                        }
                    }
                }
            }
            return out;
        });
        reserve(shared.size());
        long dirtied = 0;
        for (long b : shared) {
            byte[] data = readBlockForUpdate(ino, path, b);
            if (cache.write(ino, b, 0, ByteBuffer.wrap(data), 0, blockSize, null, true)) {
                dirtied++;
            }
        }
        settleReservation(shared.size(), dirtied);
    }

    /** True when block {@code k} of a layout holds written data (not a hole, not preallocated). */
    private static boolean isData(Placement p, int k) {
        return p.physical[k] >= 0 && (p.flags[k] & ExtentItem.UNWRITTEN) == 0;
    }

    /** A remap request after the kernel's checks: bytes to share and whole blocks covered. */
    private record RemapRange(long length, long blocks) {
    }

    /**
     * The checks and adjustments of Linux's generic_remap_checks and
     * generic_remap_check_len, for clone ({@code dedupe} false) and dedupe.
     */
    private RemapRange remapChecks(String op, long src, long srcOff, long dst, long dstOff, long len, long sizeIn,
            long sizeOut, boolean dedupe) throws InvalidArgumentException {
        if (srcOff % blockSize != 0) {
            throw new InvalidArgumentException(op + " source offset", srcOff, "a multiple of the block size "
                    + blockSize);
        }
        if (dstOff % blockSize != 0) {
            throw new InvalidArgumentException(op + " destination offset", dstOff, "a multiple of the block size "
                    + blockSize);
        }
        if (srcOff > Long.MAX_VALUE - len || dstOff > Long.MAX_VALUE - len) {
            throw new InvalidArgumentException(op + " length", len, "a range that ends below 2^63");
        }
        if (dedupe && (srcOff >= sizeIn || srcOff + len > sizeIn)) {
            throw new InvalidArgumentException(op + " source range", srcOff + "+" + len,
                    "a range within the source's size " + sizeIn);
        }
        if (dedupe && (dstOff >= sizeOut || dstOff + len > sizeOut)) {
            throw new InvalidArgumentException(op + " destination range", dstOff + "+" + len,
                    "a range within the destination's size " + sizeOut);
        }
        if (srcOff >= sizeIn) {
            throw new InvalidArgumentException(op + " source offset", srcOff, "below the source's size " + sizeIn);
        }
        if (!dedupe && len > sizeIn - srcOff) {
            // FICLONERANGE does not shorten (only dedupe may): the kernel refuses too.
            throw new InvalidArgumentException(op + " length", len, "at most " + (sizeIn - srcOff)
                    + ", the bytes from the source offset to its end of file (0 clones up to it)");
        }
        len = Math.min(len, sizeIn - srcOff);
        long bytesCovered;
        if (srcOff + len == sizeIn && (!dedupe || dstOff + len == sizeOut)) {
            bytesCovered = blocksCovering(sizeIn) * blockSize - srcOff; // up to the source's end of file
        } else {
            if (len % blockSize != 0) {
                if (!dedupe) {
                    throw new InvalidArgumentException(op + " length", len, "a multiple of the block size "
                            + blockSize + ", or a range that ends at the source's end of file");
                }
                len -= len % blockSize;
            }
            bytesCovered = len;
        }
        if (src == dst && dstOff + bytesCovered > srcOff && dstOff < srcOff + bytesCovered) {
            throw new InvalidArgumentException(op + " ranges", srcOff + " and " + dstOff + " (" + bytesCovered
                    + " bytes)", "source and destination ranges of one file that do not overlap");
        }
        if (len % blockSize != 0 && dstOff + len < sizeOut) {
            if (!dedupe) {
                // The source's last block would bring its zeros past len into the middle of the
                // destination (xfstests generic/518).
                throw new InvalidArgumentException(op + " length", len, "whole blocks: the source's partial last"
                        + " block can only be cloned to or past the destination's end of file " + sizeOut);
            }
            len -= len % blockSize;
            bytesCovered = len;
        }
        return new RemapRange(len, bytesCovered / blockSize);
    }

    private static void checkNotNegative(String op, long srcOff, long dstOff, long len)
            throws InvalidArgumentException {
        if (srcOff < 0) {
            throw new InvalidArgumentException(op + " source offset", srcOff, ">= 0");
        }
        if (dstOff < 0) {
            throw new InvalidArgumentException(op + " destination offset", dstOff, ">= 0");
        }
        if (len < 0) {
            throw new InvalidArgumentException(op + " length", len, ">= 0 (0: to the source's end of file)");
        }
    }

    private void checkSameVolume(String op, CowFile source, String dstPath) throws StorageException {
        if (source.volume() != this) {
            throw new CrossVolumeException(op, source.path() + " on " + source.volume().name(),
                    dstPath + " on " + name);
        }
    }

    /**
     * FICLONERANGE: maps the source range's blocks into the destination and counts a
     * reference more for each; metadata only. Preallocated source blocks become holes
     * in the destination (as XFS does), so preallocation stays private to its file and
     * its later writes go in place. Source pages not yet written back become dirty pages
     * of the destination (with reserved blocks), so no flush is needed first.
     */
    long cloneRange(long dst, String dstPath, CowFile source, long srcOff, long dstOff, long length)
            throws IOException {
        checkWritable();
        checkSameVolume("clone range", source, dstPath);
        checkNotNegative("clone range", srcOff, dstOff, length);
        long src = source.inode();
        String srcPath = source.path();
        Runnable unlock = lockFiles(src, dst);
        try {
            long sizeIn = size(src, srcPath);
            long sizeOut = size(dst, dstPath);
            long len = length;
            if (len == 0) {
                if (srcOff > sizeIn) {
                    throw new InvalidArgumentException("clone range source offset", srcOff,
                            "at most the source's size " + sizeIn);
                }
                len = sizeIn - srcOff;
                if (len == 0) {
                    return 0;
                }
            }
            RemapRange range = remapChecks("clone range", src, srcOff, dst, dstOff, len, sizeIn, sizeOut, false);
            long n = range.blocks();
            long sFirst = srcOff / blockSize;
            long dFirst = dstOff / blockSize;
            long cloned = range.length();
            commitLock.lock(); // no commit between mapping and writing: the destination reads what it maps
            try {
                long dirty = cache.dirtyPagesOf(src, sFirst, sFirst + n);
                reserve(dirty);
                changing(() -> {
                    TreeMap<Long, byte[]> pages = cache.dirtyCopies(src, sFirst, sFirst + n);
                    settleReservation(dirty, pages.size());
                    List<Extents.Mapping> from = extents.overlapping(src, sFirst, sFirst + n);
                    space.unreserve(cache.drop(dst, dFirst, dFirst + n));
                    long allocated = -extents.remove(dst, dFirst, dFirst + n);
                    for (Extents.Mapping m : from) {
                        if (m.extent().unwritten()) {
                            continue;
                        }
                        long a = Math.max(sFirst, m.fileBlock());
                        long b = Math.min(sFirst + n, m.fileEnd());
                        while (a < b) {
                            if (pages.containsKey(a)) {
                                a++;
                                continue;
                            }
                            // Up to the next dirty page: one lookup per run, not per block,
                            // so a clone costs per extent however long the extents are.
                            Long nextDirty = pages.higherKey(a);
                            long runEnd = nextDirty == null ? b : Math.min(b, nextDirty);
                            ExtentItem piece = m.extent().slice(a - m.fileBlock(), runEnd - a);
                            ledger.add(piece.physical(), piece.blocks(), +1, piece.checksummed());
                            allocated += extents.replace(dst, dFirst + (a - sFirst), piece);
                            a = runEnd;
                        }
                    }
                    for (var page : pages.entrySet()) {
                        cache.write(dst, dFirst + (page.getKey() - sFirst), 0, ByteBuffer.wrap(page.getValue()), 0,
                                blockSize, null, true);
                    }
                    InodeItem inode = inodeOrThrow(dst, dstPath);
                    putInode(dst, inode.withSize(Math.max(inode.size(), dstOff + cloned), now())
                            .withAllocated(inode.allocated() + allocated));
                });
            } finally {
                commitLock.unlock();
            }
            return cloned;
        } finally {
            unlock.run();
        }
    }

    /**
     * FIDEDUPERANGE: compares the ranges and, only when every byte is equal, maps the
     * destination's data blocks to the source's. Both files' locks and the commit lock
     * are held throughout, so no write lands between the comparison and the remap.
     * Holes and preallocated blocks on either side are left as they are: equal, but
     * never turned into shared data.
     */
    DedupeResult dedupeRange(long dst, String dstPath, CowFile source, long srcOff, long dstOff, long length)
            throws IOException {
        checkWritable();
        checkSameVolume("dedupe range", source, dstPath);
        checkNotNegative("dedupe range", srcOff, dstOff, length);
        if (length == 0) {
            return new DedupeResult(0, false);
        }
        long src = source.inode();
        String srcPath = source.path();
        long requested = Math.min(length, MAX_DEDUPE_BYTES);
        Runnable unlock = lockFiles(src, dst);
        try {
            long sizeIn = size(src, srcPath);
            long sizeOut = size(dst, dstPath);
            RemapRange range = remapChecks("dedupe range", src, srcOff, dst, dstOff, requested, sizeIn, sizeOut,
                    true);
            if (range.length() == 0) {
                return new DedupeResult(0, false);
            }
            long n = range.blocks();
            long sFirst = srcOff / blockSize;
            long dFirst = dstOff / blockSize;
            if (cache.dirtyPagesOf(src, sFirst, sFirst + n) > 0 || cache.dirtyPagesOf(dst, dFirst, dFirst + n) > 0) {
                sync(); // compare and share what is on disk
            }
            commitLock.lock();
            try {
                for (long done = 0; done < n; done += DEDUPE_CHUNK) {
                    int count = (int) Math.min(DEDUPE_CHUNK, n - done);
                    long at = done;
                    byte[] a = reading(() -> readBlocks(src, srcPath, sFirst + at, count, false));
                    byte[] b = reading(() -> readBlocks(dst, dstPath, dFirst + at, count, false));
                    int bytes = (int) Math.min((long) count * blockSize, range.length() - done * blockSize);
                    if (!java.util.Arrays.equals(a, 0, bytes, b, 0, bytes)) {
                        return new DedupeResult(0, true);
                    }
                }
                long shared = changing(() -> {
                    Placement from = layout(src, sFirst, (int) n, false, false);
                    Placement to = layout(dst, dFirst, (int) n, false, false);
                    long bytes = 0;
                    int k = 0;
                    while (k < n) {
                        int j = k;
                        while (j < n && isData(from, j) && isData(to, j)
                                && (j == k || from.physical[j] == from.physical[j - 1] + 1 && from.flags[j] == from.flags[k])) {
                            bytes += Math.min(blockSize, range.length() - (long) j * blockSize);
                            j++;
                        }
                        if (j == k) {
                            k++;
                            continue;
                        }
                        ExtentItem piece = new ExtentItem(from.physical[k], j - k, from.flags[k]);
                        boolean same = true;
                        for (int x = k; x < j; x++) {
                            same &= from.physical[x] == to.physical[x];
                        }
                        if (!same) {
                            ledger.add(piece.physical(), piece.blocks(), +1, piece.checksummed());
                            extents.replace(dst, dFirst + k, piece);
                        }
                        k = j;
                    }
                    return bytes;
                });
                return new DedupeResult(shared, false);
            } finally {
                commitLock.unlock();
            }
        } finally {
            unlock.run();
        }
    }

    void setFlags(long ino, String path, Set<FileFlag> add, Set<FileFlag> remove) throws IOException {
        checkWritable();
        for (FileFlag f : add) {
            if (remove.contains(f)) {
                throw new InvalidArgumentException("flags", "+" + f + " and -" + f, "a flag added or removed, not both");
            }
        }
        ReentrantLock fileLock = fileLock(ino);
        fileLock.lock();
        try {
            changing(() -> {
                InodeItem inode = inodeOrThrow(ino, path);
                int flags = inode.flags();
                for (FileFlag f : add) {
                    flags |= flagBit(f);
                }
                for (FileFlag f : remove) {
                    flags &= ~flagBit(f);
                }
                boolean holdsData = inode.size() > 0 || inode.allocated() > 0 || cache.dirtyPagesOf(ino) > 0;
                if (((flags ^ inode.flags()) & InodeItem.NOCOW) != 0 && holdsData) {
                    throw new InvalidArgumentException("NOCOW on " + path, "a file of " + inode.size() + " bytes",
                            "an empty file: NOCOW changes only before a file holds data, as chattr +C on btrfs");
                }
                if (flags != inode.flags()) {
                    putInode(ino, inode.withFlags(flags, now()));
                }
            });
        } finally {
            fileLock.unlock();
        }
    }

    private static int flagBit(FileFlag f) {
        switch (f) {
            case NOCOW: return InodeItem.NOCOW;
            case NODATASUM: return InodeItem.NODATASUM;
            default: throw new IllegalArgumentException("flag " + f);
        }
    }

    @Override
    public List<BlockOwner> owners(long block) throws IOException {
        return operation(Access.CHANGE, () -> {
            checkUsable();
            if (block < 0 || block >= committed.totalBlocks) {
                throw new InvalidArgumentException("block", block, "a block of the volume, 0.." + (committed.totalBlocks - 1));
            }
            if (block < committed.firstDataBlock()) {
                return List.of(new BlockOwner(BlockOwner.Kind.RESERVED, "superblocks", -1, -1));
            }
            return reading(() -> {
                List<BlockOwner> out = new ArrayList<>();
                for (BTree t : List.of(fsTree, refTree, csumTree, freeTree)) {
                    t.forEachNode(n -> {
                        if (block >= n.block() && block < n.block() + nodeBlocks) {
                            out.add(new BlockOwner(BlockOwner.Kind.METADATA, t.id().name().toLowerCase(java.util.Locale.ROOT)
                                    + " tree", -1, -1));
                        }
                    });
                }
                // No back references on disk: a scan of the file extents, linear in their number.
                List<long[]> files = new ArrayList<>();
                fsTree.scanAll((k, v) -> {
                    if (k.type() == ItemType.EXTENT) {
                        ExtentItem e = ExtentItem.decode(v);
                        if (block >= e.physical() && block < e.physical() + e.blocks()) {
                            files.add(new long[] {k.objectId(), (k.offset() + block - e.physical()) * blockSize});
                        }
                    }
                    return true;
                });
                for (long[] f : files) {
                    out.add(new BlockOwner(BlockOwner.Kind.FILE, pathOf(f[0]), f[0], f[1]));
                }
                return out;
            });
        });
    }

    /** The path of an inode, from its parent pointers. Tree lock held. */
    private String pathOf(long ino) throws IOException {
        List<String> names = new ArrayList<>();
        long at = ino;
        while (at != ROOT_INODE) {
            InodeItem i = inode(at);
            Corruption.check(i != null && names.size() < 4096, "inode " + at + " on the path of inode " + ino);
            long child = at;
            String[] found = {null};
            fsTree.scan(Key.first(i.parent(), ItemType.DIR_ENTRY), Key.last(i.parent(), ItemType.DIR_ENTRY), (k, v) -> {
                for (DirEntries.Entry e : DirEntries.decode(v)) {
                    if (e.inode() == child) {
                        found[0] = e.name();
                        return false;
                    }
                }
                return true;
            });
            Corruption.check(found[0] != null, "inode " + at + " has no name in its parent " + i.parent());
            names.add(0, found[0]);
            at = i.parent();
        }
        return "/" + String.join("/", names);
    }

    // ------------------------------------------------------------------ audits

    /** A tree, for diagnostics and tests that need to find where something lives on disk. */
    BTree tree(TreeId id) {
        switch (id) {
            case FS: return fsTree;
            case REFCOUNT: return refTree;
            case CSUM: return csumTree;
            default: return freeTree;
        }
    }

    /**
     * Checks the volume's accounting: every tree's invariants; every block referenced by
     * an extent or a node has exactly as many references in the refcount tree; nothing
     * else is counted; free space and used blocks add up. Returns problems found.
     */
    public List<String> audit() throws IOException {
        return operation(Access.CHANGE, () -> {
            sync();
            commitLock.lock();
            treeLock.readLock().lock();
            try {
                List<String> problems = new ArrayList<>();
                TreeMap<Long, Integer> expected = new TreeMap<>();
                for (BTree t : List.of(fsTree, refTree, csumTree, freeTree)) {
                    t.verify();
                    t.forEachNode(n -> {
                        for (int i = 0; i < nodeBlocks; i++) {
                            expected.merge(n.block() + i, 1, Integer::sum);
                        }
                    });
                }
                fsTree.scanAll((k, v) -> {
                    if (k.type() == ItemType.EXTENT) {
                        ExtentItem e = ExtentItem.decode(v);
                        for (long b = 0; b < e.blocks(); b++) {
                            expected.merge(e.physical() + b, 1, Integer::sum);
                        }
                    }
                    return true;
                });
                TreeMap<Long, Integer> actual = new TreeMap<>();
                refTree.scanAll((k, v) -> {
                    RefRun r = RefRun.decode(v);
                    for (long b = 0; b < r.blocks(); b++) {
                        actual.put(k.objectId() + b, r.count());
                    }
                    return true;
                });
                if (!expected.equals(actual)) {
                    TreeMap<Long, String> diff = new TreeMap<>();
                    for (var e : expected.entrySet()) {
                        if (!e.getValue().equals(actual.get(e.getKey()))) {
                            diff.put(e.getKey(), "referenced " + e.getValue() + "x, counted " + actual.get(e.getKey()));
                        }
                    }
                    for (var e : actual.entrySet()) {
                        if (!expected.containsKey(e.getKey())) {
                            diff.put(e.getKey(), "counted " + e.getValue() + "x, referenced by nothing (leaked)");
                        }
                    }
                    diff.entrySet().stream().limit(10).forEach(d -> problems.add("block " + d.getKey() + ": " + d.getValue()));
                }
                long[] freeInTree = {0};
                freeTree.scanAll((k, v) -> {
                    long len = RefCounts.freeLength(v);
                    for (long b = k.objectId(); b < k.objectId() + len; b++) {
                        if (actual.containsKey(b)) {
                            problems.add("block " + b + " is both free and referenced");
                            return false;
                        }
                    }
                    freeInTree[0] += len;
                    return true;
                });
                long dataBlocks = committed.totalBlocks - committed.firstDataBlock();
                if (freeInTree[0] + actual.size() != dataBlocks) {
                    problems.add("free (" + freeInTree[0] + ") + referenced (" + actual.size() + ") != data blocks ("
                            + dataBlocks + ")");
                }
                if (!readOnly && space.freeBlocks() + space.pendingBlocks() != freeInTree[0]) {
                    problems.add("in memory " + space.freeBlocks() + " free + " + space.pendingBlocks()
                            + " pending != " + freeInTree[0] + " free in the free-space tree");
                }
                if (refCounts.usedBlocks() != actual.size()) {
                    problems.add("used blocks " + refCounts.usedBlocks() + " != referenced " + actual.size());
                }
                return problems;
            } catch (Corruption c) {
                throw corrupt(c);
            } finally {
                treeLock.readLock().unlock();
                commitLock.unlock();
            }
        });
    }

    @Override
    public String toString() {
        return "volume " + name + " on " + deviceUri;
    }
}
