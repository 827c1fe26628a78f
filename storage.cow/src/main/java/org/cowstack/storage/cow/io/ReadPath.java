package org.cowstack.storage.cow.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.cow.bind.Access;
import org.cowstack.storage.cow.core.VolumeCore;
import org.cowstack.storage.cow.meta.DamagedRanges;
import org.cowstack.storage.cow.meta.Extents;

/**
 * Reading file data: pages the page cache holds (what writes put there wins), then
 * verified pages of the {@link org.cowstack.storage.cow.cache.ReadCache}, then the
 * blocks the file maps, read from the device and verified, then zeros for holes and
 * preallocated blocks.
 *
 * <p>A miss reads into a pooled buffer of the device's own kind (direct for a file),
 * verifies every block there against its stored checksum, copies the requested bytes
 * once into the caller and once into the read cache. A read that continues where the
 * last read of the same open file ended (a {@link ReadStream}) is read ahead: two
 * threads per volume keep the device reading up to {@link ReadStream#MAX_WINDOW} bytes
 * ahead of the reader (the window doubles from {@link ReadStream#INITIAL_WINDOW} with
 * each sequential read), so the reader finds its blocks cached. Read-ahead blocks are
 * verified before they are cached; one that fails is left to the read that asks for it,
 * which reports it. A stream drops behind: when the read cache is full, the pages it
 * has already read go first, so one long file streamed through a small cache does not
 * push out what the rest of the volume reuses, while a file that fits stays cached
 * whole and is served from memory the second time.
 */
public final class ReadPath {
    /** Largest device read of one pass: the size of the pooled buffers. */
    static final int MAX_PASS = 2 << 20;
    private static final int POOLED_BUFFERS = 8;
    /** Threads that read ahead, per volume: each holds one device read in flight. */
    private static final int READ_AHEAD_THREADS = 2;

    private final VolumeCore core;
    private final BlockIo io;
    private final int blockSize;
    private final ArrayBlockingQueue<ByteBuffer> pool = new ArrayBlockingQueue<>(POOLED_BUFFERS);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder readAhead = new LongAdder();
    private final ThreadPoolExecutor aheadThreads;

    /** What the read path counted since mount: blocks served from the cache, read from the device, read ahead. */
    public record Counters(long hits, long misses, long readAheadBytes) {
    }

    public ReadPath(VolumeCore core, BlockIo io) {
        this.core = core;
        this.io = io;
        this.blockSize = core.blockSize;
        this.aheadThreads = new ThreadPoolExecutor(READ_AHEAD_THREADS, READ_AHEAD_THREADS, 2, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "storage: read-ahead for " + core.name);
                    t.setDaemon(true);
                    return t;
                });
        aheadThreads.allowCoreThreadTimeOut(true);
    }

    /**
     * The volume is closed: read-ahead still queued finds the gate closed and ends; the
     * threads end once idle. Not interrupted: an interrupt during a channel read would
     * close the device's channel for everyone.
     */
    public void close() {
        aheadThreads.shutdown();
    }

    /** A block a mapped view was made of: found in the cache ({@code hit}) or read from the device. */
    public void countMapped(boolean hit) {
        (hit ? hits : misses).increment();
    }

    public Counters counters() {
        return new Counters(hits.sum(), misses.sum(), readAhead.sum());
    }

    /** {@code FileHandle.read}: bytes from {@code offset} into {@code dst}, -1 at or past the end. */
    public int read(long ino, String path, ByteBuffer dst, long offset) throws IOException {
        return read(ino, path, dst, offset, null);
    }

    /** As {@link #read(long, String, ByteBuffer, long)}, by an open file whose reads are {@code stream} (null: none). */
    public int read(long ino, String path, ByteBuffer dst, long offset, ReadStream stream) throws IOException {
        core.checkUsable();
        if (offset < 0) {
            throw new InvalidArgumentException("offset", offset, ">= 0");
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (stream != null) {
            stream.await(offset / blockSize, (offset + dst.remaining() - 1) / blockSize); // no lock held
        }
        long[] fileBlocks = new long[1];
        int read = core.treeLock.reading(() -> {
            long size = core.inodes.getOrThrow(ino, path).size();
            if (offset >= size) {
                return -1;
            }
            fileBlocks[0] = core.blocksCovering(size);
            int length = (int) Math.min(dst.remaining(), size - offset);
            if (stream != null) {
                stream.advance(offset, length, blockSize);
            }
            ByteBuffer out = dst.duplicate();
            long b = offset / blockSize;
            long requestEnd = core.blocksCovering(offset + length);
            int from = (int) (offset % blockSize);
            int done = 0;
            while (done < length) {
                // The version first: a change reported after it keeps this pass's device data out of the cache.
                long version = core.readCache.version(ino);
                long staged = core.cache.nextCached(ino, b, requestEnd);
                int got;
                if (staged == b) {
                    got = core.cache.copyOut(ino, b, from, out, length - done); // written data wins
                } else {
                    int upTo = (int) Math.min(length - done, (staged - b) * blockSize - from);
                    got = core.readCache.copyOut(ino, b, from, out, upTo);
                    if (got == 0 && linkCached(ino, b, b + (from + upTo + blockSize - 1) / blockSize, version) > 0) {
                        got = core.readCache.copyOut(ino, b, from, out, upTo); // another file read those blocks
                    }
                    if (got == 0) {
                        got = miss(ino, path, b, from, out, upTo, stream, version);
                        got = -got; // counted as misses
                    }
                }
                if (got > 0) {
                    hits.add((from + got + blockSize - 1) / blockSize);
                } else {
                    got = -got;
                }
                done += got;
                b += (from + got) / blockSize;
                from = (from + got) % blockSize;
            }
            dst.position(dst.position() + length);
            return length;
        });
        if (stream != null && read > 0) {
            readAhead(ino, path, stream, core.blocksCovering(offset + read), fileBlocks[0]);
        }
        return read;
    }

    /** Keeps the device read ahead of a sequential stream, by the read-ahead threads. */
    private void readAhead(long ino, String path, ReadStream stream, long requestEnd, long fileBlocks) {
        int passBlocks = Math.max(1, MAX_PASS / blockSize);
        long maxBlocks = core.readCache.maxBytes() / blockSize / 4; // read-ahead never fills the cache
        for (long[] r; (r = stream.nextAhead(requestEnd, fileBlocks, blockSize, passBlocks, maxBlocks)) != null; ) {
            long from = core.readCache.missingFrom(ino, r[0], r[1]);
            long to = r[1];
            if (from >= to) {
                continue; // cached already: a stream read again
            }
            try {
                stream.inFlight(from, to, aheadThreads.submit(() -> prefetch(ino, path, from, to, stream)));
            } catch (RejectedExecutionException e) {
                return; // closed
            }
        }
    }

    /**
     * Reads file blocks {@code [from, to)} that neither cache holds into the read cache,
     * verified, inside the volume's gate like any read. A failure is left to the read
     * that asks for those blocks: it reads them again and reports it.
     */
    private void prefetch(long ino, String path, long from, long to, ReadStream stream) {
        try {
            core.operation(Access.READ, () -> core.treeLock.reading(() -> {
                long b = from;
                while (b < to) {
                    long version = core.readCache.version(ino);
                    b = core.readCache.missingFrom(ino, b, to);
                    if (b >= to) {
                        break;
                    }
                    if (linkCached(ino, b, to, version) > 0) {
                        continue; // another file read those blocks: linked, nothing to read
                    }
                    long staged = core.cache.nextCached(ino, b, to);
                    long end = core.readCache.cachedFrom(ino, b, staged);
                    if (end > b) {
                        readAhead.add((end - b) * blockSize);
                        ByteBuffer buf = buffer();
                        try {
                            // only what the reader has consumed goes, not what was read ahead for it
                            long consumed = Math.min(b, stream.consumed(blockSize));
                            stream.behind(core.readCache.dropBehind(ino, stream.behind(), consumed, (int) (end - b)));
                            fill(ino, path, b, (int) (end - b), 0, buf, version);
                        } finally {
                            pool.offer(buf);
                        }
                    }
                    b = Math.max(end, b + 1);
                }
                return null;
            }));
        } catch (IOException | RuntimeException e) {
            // the read that asks for these blocks reads them itself and reports what fails
        }
    }

    /**
     * Links the file's blocks from {@code b} on (before {@code to}, at most one pass)
     * whose physical blocks the read cache holds because another file (a clone, a
     * deduped copy) or this one before a remap read them; answers how many, from
     * {@code b} on, are linked now.
     */
    private long linkCached(long ino, long b, long to, long version) throws IOException {
        long end = Math.min(to, b + Math.max(1, MAX_PASS / blockSize));
        long linked = b;
        for (Extents.Mapping m : core.extents.within(ino, b, end)) {
            if (m.fileBlock() != linked || m.extent().unwritten()) {
                break;
            }
            int len = (int) (m.fileEnd() - m.fileBlock());
            int n = core.readCache.link(ino, m.fileBlock(), m.physicalAt(m.fileBlock()), len, version);
            linked += n;
            if (n < len) {
                break;
            }
        }
        return linked - b;
    }

    private ByteBuffer buffer() {
        ByteBuffer buf = pool.poll();
        return buf != null ? buf : io.allocate(Math.max(1, MAX_PASS / blockSize) * blockSize);
    }

    /**
     * Block {@code b} is in neither cache: reads it and the blocks after it in the
     * request that neither cache holds in one pass, copies up to {@code want} bytes from
     * byte {@code from} of it into {@code out} and caches what verified. Answers the
     * bytes copied.
     */
    private int miss(long ino, String path, long b, int from, ByteBuffer out, int want, ReadStream stream,
            long version) throws IOException {
        int passBlocks = Math.max(1, MAX_PASS / blockSize);
        long asked = Math.min(b + passBlocks, b + (from + want + blockSize - 1) / blockSize);
        long end = Math.max(b + 1, core.readCache.cachedFrom(ino, b + 1, asked));
        int n = (int) (end - b);
        misses.add(n);
        ByteBuffer buf = buffer();
        try {
            if (stream != null) {
                stream.behind(core.readCache.dropBehind(ino, stream.behind(), b, n));
            }
            fill(ino, path, b, n, n, buf, version);
            int copy = Math.min(want, n * blockSize - from);
            out.put(out.position(), buf, from, copy);
            out.position(out.position() + copy);
            return copy;
        } finally {
            pool.offer(buf);
        }
    }

    /**
     * Reads file blocks {@code [b, b + n)} into {@code buf} from index 0: mapped blocks from
     * the device, verified (the first {@code asked} must verify, or the read fails naming
     * the block), holes and preallocated blocks as zeros. Caches the mapped blocks that
     * verified, up to the first that did not.
     */
    private void fill(long ino, String path, long b, int n, int asked, ByteBuffer buf, long version)
            throws IOException {
        long covered = b;
        boolean caching = true;
        for (Extents.Mapping m : core.extents.within(ino, b, b + n)) {
            io.zero(buf, covered - b, m.fileBlock() - b);
            int len = (int) (m.fileEnd() - m.fileBlock());
            int at = (int) (m.fileBlock() - b) * blockSize;
            covered = m.fileEnd();
            if (m.extent().unwritten()) {
                io.zero(buf, m.fileBlock() - b, m.fileEnd() - b); // reads as zeros
                continue;
            }
            long physical = m.physicalAt(m.fileBlock());
            long mirror = m.extent().mirror();
            long physVersion = core.readCache.physVersion(physical); // before the device is read
            long since = core.repairs.mark();
            readData(buf.slice(at, len * blockSize), physical, mirror, ino, path, m.fileBlock(), since);
            int good = len;
            if (m.extent().checksummed()) {
                int mustVerify = (int) Math.max(0, Math.min(len, b + asked - m.fileBlock()));
                if (mustVerify > 0) {
                    io.verify(ino, path, m.fileBlock(), physical, mirror, mustVerify, buf, at, since);
                }
                if (len > mustVerify) {
                    good = mustVerify + io.verified(path, physical + mustVerify, len - mustVerify, buf,
                            at + mustVerify * blockSize);
                }
            }
            if (caching) {
                core.readCache.insert(ino, m.fileBlock(), physical, good, buf, at, version, physVersion);
                caching = good == len;
            }
        }
        io.zero(buf, covered - b, n);
    }

    /**
     * Reads data blocks from the device ({@link BlockIo#read(ByteBuffer, long, long, long, long)});
     * a media error with no second copy to read instead names the file and offset.
     */
    private void readData(ByteBuffer into, long physical, long mirror, long ino, String path, long fileBlock,
            long since) throws IOException {
        DamagedRanges.Range lost = core.damaged.firstDamaged(ino, fileBlock, into.remaining() / blockSize);
        if (lost != null && lost.cause() == DamagedRanges.MEDIA) {
            long at = Math.max(lost.fileBlock(), fileBlock);
            throw new org.cowstack.storage.api.MediaErrorException(core.deviceUri.toString(),
                    (lost.physical() + at - lost.fileBlock()) * blockSize, blockSize, "reading " + path
                    + " from offset " + at * blockSize + ": the medium lost that block (marked damaged; a write over"
                    + " it clears it)");
        }
        try {
            io.read(into, physical, mirror, ino, since);
        } catch (org.cowstack.storage.api.MediaErrorException e) {
            int n = into.remaining() / blockSize;
            if (mirror == 0) {
                markLost(into, physical, ino, fileBlock, n);
            }
            throw new org.cowstack.storage.api.MediaErrorException(e.device(), e.offset(), e.length(), "reading "
                    + path + " from offset " + fileBlock * blockSize + " (block " + physical + "): "
                    + e.getMessage(), e);
        }
    }

    /** Finds, block by block, which of a failed read's blocks the medium lost, and marks them damaged. */
    private void markLost(ByteBuffer into, long physical, long ino, long fileBlock, int n) {
        ByteBuffer one = io.allocate(blockSize);
        for (int k = 0; k < n; k++) {
            try {
                io.read(one.clear(), physical + k);
            } catch (org.cowstack.storage.api.MediaErrorException lost) {
                core.damaged.mark(ino, fileBlock + k, 1, physical + k, DamagedRanges.MEDIA);
            } catch (IOException | RuntimeException other) {
                return; // the device is gone: nothing to learn block by block
            }
        }
    }

    /**
     * The content of file blocks {@code [first, first + count)}: cached pages, or blocks
     * read from the device and verified, or zeros (holes, preallocated blocks). Called
     * with the tree lock held.
     */
    public byte[] readBlocks(long ino, String path, long first, int count, boolean cacheThem) throws IOException {
        byte[] out = new byte[count * blockSize];
        boolean[] have = new boolean[count];
        int missing = 0;
        for (int i = 0; i < count; i++) {
            have[i] = core.cache.copyOut(ino, first + i, 0, out, i * blockSize, blockSize);
            if (!have[i]) {
                missing++;
            }
        }
        if (missing == 0) {
            return out;
        }
        for (Extents.Mapping m : core.extents.within(ino, first, first + count)) {
            if (m.extent().unwritten()) {
                continue; // reads as zeros
            }
            long b = m.fileBlock();
            while (b < m.fileEnd()) {
                if (have[(int) (b - first)]) {
                    b++;
                    continue;
                }
                long runEnd = b + 1;
                while (runEnd < m.fileEnd() && !have[(int) (runEnd - first)] && runEnd - b < VolumeCore.MAX_WRITE_RUN) {
                    runEnd++;
                }
                int n = (int) (runEnd - b);
                long physical = m.physicalAt(b);
                long mirror = m.extent().hasMirror() ? m.extent().mirror() + (b - m.fileBlock()) : 0;
                int at = (int) (b - first) * blockSize;
                long since = core.repairs.mark();
                ByteBuffer into = ByteBuffer.wrap(out, at, n * blockSize);
                readData(into, physical, mirror, ino, path, b, since);
                if (m.extent().checksummed()) {
                    io.verify(ino, path, b, physical, mirror, n, ByteBuffer.wrap(out), at, since);
                }
                if (cacheThem) {
                    for (int k = 0; k < n; k++) {
                        core.cache.putClean(ino, b + k, out, at + k * blockSize);
                    }
                }
                b = runEnd;
            }
        }
        return out;
    }

    /** One block's content, to be changed in part by a write: taken under the shared tree lock. */
    public byte[] readBlockForUpdate(long ino, String path, long block) throws IOException {
        return core.treeLock.reading(() -> readBlocks(ino, path, block, 1, false));
    }
}
