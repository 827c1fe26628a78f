package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.bind.VolumeBindings;
import org.cowstack.storage.cow.cache.PageCache;
import org.cowstack.storage.cow.core.CommitLock;
import org.cowstack.storage.cow.core.CommitParticipant;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.Superblock;
import org.cowstack.storage.cow.meta.MetadataStore;

/**
 * Commits, and writes dirty pages back without committing.
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
 * <h2>Writeback without a commit</h2>
 * Memory pressure (a cache half full of dirty pages), and a clone or dedupe of a range
 * that holds dirty pages, write pages back into the running transaction instead:
 * allocation, mapping and checksums stay in memory until the next commit, and the data
 * lands in blocks no committed tree references (or in place, exactly as a commit would
 * put it), so nothing needs to be durable before that commit, which flushes once for
 * everything. The commit lock keeps a commit from starting while these writes are in
 * flight.
 */
public final class Committer {
    private final VolumeCore core;
    private final Writeback writeback;
    private volatile int nodesWrittenByLastCommit;

    public Committer(VolumeCore core, BlockIo io, Placements placements, DataCopies copies) {
        this.core = core;
        this.writeback = new Writeback(core, io, placements, copies);
    }

    /** Commits everything: durable when it returns. A read-only volume has nothing to commit. */
    public void sync() throws IOException {
        core.checkUsable();
        if (core.readOnly()) {
            return;
        }
        core.operation(Access.CHANGE, () -> {
            core.commitLock.lock();
            try {
                commit();
            } finally {
                unlockUnlessGivenBack();
            }
        });
    }

    /**
     * Commits if anything changed since the last commit: the commit interval's task. A
     * volume waiting for a service skips it (the commit would wait too); so does one
     * that failed.
     */
    public void commitIfDirty() throws IOException {
        if (core.readOnly() || core.failure() != null || !core.dirty()
                || !core.bindings.tryEnter(VolumeBindings.CHANGE)) {
            return;
        }
        try {
            sync();
        } finally {
            core.bindings.exit();
        }
    }

    /**
     * Commits the feature flags the volume records now ({@code VolumeCore.compat()}) on
     * a volume with nothing else to commit, read-only or not: what making qemu-mode
     * bitmaps in use takes (a mount or remount for writing). When the superblock cannot
     * be written the volume is left as it was (the previous superblock is intact on disk,
     * nothing in memory depends on the new one) and the failure is thrown, where a commit
     * of data must fail the volume. With other changes pending it is an ordinary commit.
     */
    public void commitFeatures() throws IOException {
        core.checkUsable();
        core.commitLock.lock();
        try {
            Superblock next;
            core.treeLock.exclusive().lock();
            try {
                if (core.changed()) {
                    next = null;
                } else {
                    Superblock last = core.committed();
                    long generation = core.meta.generation();
                    core.meta.freeze(); // nothing dirty: only the next transaction begins
                    next = last.next(generation, core.nextInode(), core.refCounts.usedBlocks(), core.trees.roots())
                            .withFeatures(core.compat(), last.compatRo | core.trees.compatRo());
                }
            } finally {
                core.treeLock.exclusive().unlock();
            }
            if (next == null) {
                commit();
                return;
            }
            core.device.write(next.encode(core.checksum), next.offset());
            core.device.flush();
            core.committed(next);
            core.meta.written();
        } finally {
            unlockUnlessGivenBack();
        }
    }

    /**
     * Ends a hold of the commit lock taken around {@link #commit()}, which gives the lock
     * back for its writes when that hold was the only one (whether it then succeeded or
     * threw).
     */
    private void unlockUnlessGivenBack() {
        if (core.commitLock.isHeldByCurrentThread()) {
            core.commitLock.unlock();
        }
    }

    /** Metadata nodes the last commit wrote: what an operation followed by a commit cost in metadata. */
    public int nodesWrittenByLastCommit() {
        return nodesWrittenByLastCommit;
    }

    /** Memory pressure: writes every dirty page back, unless another writer did while this one waited. */
    public void writeBackDirtyPages() throws IOException {
        writeBack(() -> core.cache.dirtyPages() > core.cache.dirtyLimit() ? core.cache.takeDirty() : List.of(),
                false, false);
    }

    /**
     * Writes back the dirty pages of one file in blocks {@code [from, to)}, no others:
     * what a clone or dedupe of that range needs to share its blocks (the kernel writes
     * back the source range before it remaps; btrfs flushes the whole file). The data is
     * on the device when it returns.
     */
    public void writeBackRange(long ino, long from, long to) throws IOException {
        if (core.cache.dirtyPagesOf(ino, from, to) == 0) {
            return;
        }
        writeBack(() -> core.cache.takeDirty(ino, from, to), false, false);
    }

    /**
     * Writes back the dirty pages of one file before block {@code before}, and lets the
     * cache reuse them at once: what a sequential writer leaves behind it (write-behind
     * and drop-behind, as the kernel does for streaming writes). Into the running
     * transaction, as any writeback. Not while a commit or another writeback places pages
     * (the commit takes these pages anyway): the writer does not wait for it, and its data
     * still goes to the device beside the others'.
     */
    public void writeBehind(long ino, long before) throws IOException {
        writeBack(() -> core.cache.takeDirty(ino, 0, before), true, true);
    }

    /**
     * Takes pages from the cache and places them in the running transaction under the
     * commit lock, then writes their data: without the lock when every page was copied
     * on write (its blocks are new, referenced by no committed tree, and no one else may
     * write them: a block freed meanwhile is reusable only after a commit, which waits
     * for this write), so writebacks of several files go to the device side by side (see
     * {@link CommitLock}); under it, once earlier writes are done, when a page overwrites
     * its block in place, so two writes of one block keep their order.
     */
    private void writeBack(Supplier<List<PageCache.FileDirty>> take, boolean dropBehind, boolean onlyIfFree)
            throws IOException {
        CommitLock lock = core.commitLock;
        List<PageCache.FileDirty> pages;
        Writeback.Batch data;
        boolean unlocked = false;
        if (!onlyIfFree) {
            lock.lockToPlace();
        } else if (!lock.tryLock()) {
            return;
        }
        try {
            core.allocator.policy();
            core.treeLock.exclusive().lock();
            try {
                pages = take.get();
                data = writeback.place(pages);
            } catch (Corruption e) {
                throw core.fail("writeback found corrupt metadata", core.treeLock.corrupt(e));
            } catch (IOException | RuntimeException e) {
                throw core.fail("writeback failed before writing", e);
            } finally {
                core.treeLock.exclusive().unlock();
            }
            if (data.isEmpty()) {
                // nothing to write (the pages' file was deleted): they only end their state
            } else if (data.inPlace()) {
                lock.awaitWrites();
                write(data);
            } else {
                lock.writeStarted();
                lock.unlock();
                unlocked = true;
                try {
                    write(data);
                } finally {
                    lock.writeDone();
                }
            }
        } finally {
            if (!unlocked) {
                lock.unlock();
            }
        }
        if (dropBehind) {
            core.cache.writtenBehind(pages);
        } else {
            core.cache.written(pages);
        }
        data.recycle();
    }

    private void write(Writeback.Batch data) throws IOException {
        try {
            data.write();
        } catch (IOException | RuntimeException e) {
            throw core.fail("writeback of dirty pages could not be written", e);
        }
    }

    /**
     * Commits, commit lock held: places and freezes the running transaction under the
     * tree lock, then writes it. The writes are announced to the lock (a commit, clone or
     * audit waits for them) and, when the caller holds the lock once, made without it, so
     * streaming writers go on writing back into the next transaction while this one is
     * flushed, as btrfs lets the next transaction run during a commit's writes.
     *
     * The caller ends its hold with {@link #unlockUnlessGivenBack()}.
     */
    private void commit() throws IOException {
        Writeback.Batch data;
        List<MetadataStore.Encoded> nodes;
        Superblock next;
        List<long[]> frees;
        List<PageCache.FileDirty> pages;
        core.allocator.policy(); // a commit without its policy does not start, and fails nothing (the gate keeps it to the end)
        core.treeLock.exclusive().lock();
        try {
            pages = core.cache.takeDirty();
            data = writeback.place(pages);
            for (CommitParticipant p : core.participants) {
                p.beforeCommit();
            }
            core.backRefs.apply(); // before the ledger: the nodes it copies are counted in the same loop
            core.refCounts.apply(core.ledger);
            Superblock last = core.committed();
            long compatRo = last.compatRo | core.trees.compatRo();
            if (data.isEmpty() && core.meta.dirtyCount() == 0 && core.compat() == last.compat
                    && compatRo == last.compatRo) {
                return;
            }
            next = last.next(core.meta.generation(), core.nextInode(), core.refCounts.usedBlocks(),
                    core.trees.roots()).withFeatures(core.compat(), compatRo);
            nodes = core.meta.freeze();
            frees = core.space.takePending();
            core.refCounts.transactionCommitted();
            core.inodes.transactionFrozen();
        } catch (Corruption e) {
            throw core.fail("commit found corrupt metadata", core.treeLock.corrupt(e));
        } catch (IOException | RuntimeException e) {
            throw core.fail("commit failed before writing", e);
        } finally {
            core.treeLock.exclusive().unlock();
        }
        // The next transaction is open: writebacks may place pages in it while this one is
        // written (see CommitLock), unless someone above holds the lock across the commit.
        CommitLock lock = core.commitLock;
        boolean release = lock.getHoldCount() == 1;
        lock.writeStarted();
        if (release) {
            lock.unlock();
        }
        try {
            try {
                data.write();
                for (MetadataStore.Encoded n : nodes) {
                    core.device.write(n.bytes().duplicate(), n.block() * core.blockSize);
                    if (n.mirror() != 0) {
                        core.device.write(n.bytes().duplicate(), n.mirror() * core.blockSize);
                    }
                }
                core.device.flush();
                core.device.write(next.encode(core.checksum), next.offset());
                core.device.flush();
            } catch (IOException | RuntimeException e) {
                throw core.fail("commit of generation " + next.generation + " could not be written", e);
            }
            core.committed(next);
            core.inodes.transactionDurable();
            nodesWrittenByLastCommit = nodes.size();
            core.meta.written();
            core.cache.written(pages);
            core.space.release(frees);
            data.recycle();
        } finally {
            lock.writeDone();
        }
    }
}
