package org.cowstack.storage.testkit;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.alloc.FreeSpaceView;

/** A free-space view over a TreeMap of free extents, for testing allocation policies outside an engine. */
public final class TreeFreeSpace implements FreeSpaceView {
    private final TreeMap<Long, Long> free = new TreeMap<>(); // start -> length
    private final long total;
    private long cursor;

    public TreeFreeSpace(long totalBlocks) {
        this.total = totalBlocks;
        free.put(0L, totalBlocks);
    }

    /** Marks an extent used, as the engine does with what a policy returns; it must be free. */
    public void use(Extent e) {
        Map.Entry<Long, Long> f = free.floorEntry(e.start());
        if (f == null || f.getKey() + f.getValue() < e.end()) {
            throw new AssertionError(e + " is not entirely free");
        }
        free.remove(f.getKey());
        if (f.getKey() < e.start()) {
            free.put(f.getKey(), e.start() - f.getKey());
        }
        long fEnd = f.getKey() + f.getValue();
        if (e.end() < fEnd) {
            free.put(e.end(), fEnd - e.end());
        }
        cursor = e.end();
    }

    /** Returns an extent to the free space, merging with neighbours. */
    public void release(Extent e) {
        long start = e.start();
        long end = e.end();
        Map.Entry<Long, Long> before = free.floorEntry(start);
        if (before != null && before.getKey() + before.getValue() > start) {
            throw new AssertionError(e + " is already free");
        }
        if (before != null && before.getKey() + before.getValue() == start) {
            start = before.getKey();
            free.remove(before.getKey());
        }
        Long after = free.get(end);
        if (after != null) {
            free.remove(end);
            end += after;
        }
        free.put(start, end - start);
    }

    @Override
    public String volume() {
        return "test";
    }

    @Override
    public int blockSize() {
        return 4096;
    }

    @Override
    public long totalBlocks() {
        return total;
    }

    @Override
    public long freeBlocks() {
        return free.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public long largestFree() {
        return free.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    @Override
    public Iterator<Extent> freeExtents(long fromBlock) {
        Long first = free.floorKey(fromBlock);
        if (first == null || first + free.get(first) <= fromBlock) {
            first = free.ceilingKey(fromBlock);
        }
        Iterator<Map.Entry<Long, Long>> it = first == null ? java.util.Collections.emptyIterator()
                : free.tailMap(first, true).entrySet().iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Extent next() {
                Map.Entry<Long, Long> e = it.next();
                return new Extent(e.getKey(), e.getValue());
            }
        };
    }

    @Override
    public long cursor() {
        return cursor;
    }
}
