package org.cowstack.storage.cow.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.api.Test;

/**
 * The page cache against a plain model of it: every page's content and state, the
 * dirty counts and reservations, what a commit takes, and which clean pages the least
 * recently used order evicts. Seeded random operations, as a commit would interleave
 * them with writes (one batch taken at a time).
 */
class PageCacheTest {
    private static final int BLOCK = 64;
    private static final int MAX_PAGES = 64;

    private record Key(long inode, long index) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Long.compare(inode, o.inode);
            return c != 0 ? c : Long.compare(index, o.index);
        }
    }

    private static final class Model {
        final byte[] data;
        PageCache.State state;
        boolean reserved;

        Model(byte[] data, PageCache.State state) {
            this.data = data;
            this.state = state;
        }
    }

    private final TreeMap<Key, Model> pages = new TreeMap<>();
    /** Clean pages, least recently used first. */
    private final LinkedHashSet<Key> lru = new LinkedHashSet<>();

    private void evict(int room) {
        long excess = pages.size() + room - MAX_PAGES;
        Iterator<Key> it = lru.iterator();
        while (excess-- > 0 && it.hasNext()) {
            pages.remove(it.next());
            it.remove();
        }
    }

    private void insert(Key k, Model m) {
        if (pages.size() >= MAX_PAGES) {
            evict(1);
        }
        pages.put(k, m);
    }

    @Test
    void matchesTheModel() {
        long seed = Seeds.seed("PageCacheTest");
        Random r = new Random(seed);
        PageCache cache = new PageCache(BLOCK, (long) MAX_PAGES * BLOCK);
        List<PageCache.FileDirty> taken = null;
        for (int op = 0; op < 100_000; op++) {
            long inode = 1 + r.nextInt(3);
            long index = r.nextInt(r.nextBoolean() ? 40 : 400);
            Key k = new Key(inode, index);
            String what = "op " + op + " " + k + " (seed " + seed + ")";
            Model m = pages.get(k);
            switch (r.nextInt(9)) {
                case 0 -> {
                    byte[] block = random(r, BLOCK);
                    cache.putClean(inode, index, block, 0);
                    if (m == null) {
                        insert(k, new Model(block, PageCache.State.CLEAN));
                        lru.add(k);
                        evict(0);
                    }
                }
                case 1, 2 -> {
                    int from = r.nextBoolean() ? 0 : r.nextInt(BLOCK);
                    int length = r.nextBoolean() ? BLOCK - from : 1 + r.nextInt(BLOCK - from);
                    byte[] src = random(r, length + 3);
                    byte[] base = m == null && r.nextBoolean() ? random(r, BLOCK) : null;
                    boolean reserve = r.nextBoolean();
                    boolean newly = cache.write(inode, index, from, ByteBuffer.wrap(src), 3, length, base, reserve);
                    if (m == null) {
                        m = new Model(base != null ? base.clone() : new byte[BLOCK], PageCache.State.CLEAN);
                        insert(k, m);
                    }
                    lru.remove(k);
                    System.arraycopy(src, 3, m.data, from, length);
                    assertEquals(m.state != PageCache.State.DIRTY, newly, what);
                    if (newly) {
                        m.state = PageCache.State.DIRTY;
                        m.reserved = reserve;
                    }
                    evict(0);
                }
                case 3 -> {
                    byte[] out = new byte[BLOCK];
                    boolean cached = cache.copyOut(inode, index, 0, out, 0, BLOCK);
                    assertEquals(m != null, cached, what);
                    if (m != null) {
                        assertArrayEquals(m.data, out, what);
                        if (lru.remove(k)) {
                            lru.add(k);
                        }
                    }
                    assertEquals(m != null && m.state == PageCache.State.DIRTY, cache.isDirty(inode, index), what);
                }
                case 4 -> {
                    if (taken == null) {
                        boolean all = r.nextBoolean();
                        long to = index + r.nextInt(100);
                        taken = all ? cache.takeDirty() : cache.takeDirty(inode, index, to);
                        List<Key> expected = new ArrayList<>();
                        for (Map.Entry<Key, Model> e : pages.entrySet()) {
                            Key key = e.getKey();
                            boolean inRange = all || key.inode == inode && key.index >= index && key.index < to;
                            if (inRange && e.getValue().state == PageCache.State.DIRTY) {
                                expected.add(key);
                                e.getValue().state = PageCache.State.WRITEBACK;
                            }
                        }
                        List<Key> got = new ArrayList<>();
                        for (PageCache.FileDirty f : taken) {
                            for (int i = 0; i < f.size(); i++) {
                                got.add(new Key(f.inode(), f.indexes()[i]));
                                assertEquals(pages.get(got.get(got.size() - 1)).reserved, f.pages()[i].reserved, what);
                            }
                        }
                        assertEquals(expected, got, what);
                    }
                }
                case 5 -> {
                    if (taken != null) {
                        boolean behind = r.nextBoolean(); // a sequential writer's pages leave the cache
                        if (behind) {
                            cache.writtenBehind(taken);
                        } else {
                            cache.written(taken);
                        }
                        for (PageCache.FileDirty f : taken) {
                            for (long i : f.indexes()) {
                                Key key = new Key(f.inode(), i);
                                Model p = pages.get(key);
                                if (p != null && p.state == PageCache.State.WRITEBACK) {
                                    p.state = PageCache.State.CLEAN;
                                    if (behind) {
                                        pages.remove(key);
                                    } else {
                                        lru.add(key);
                                    }
                                }
                            }
                        }
                        evict(0);
                        taken = null;
                    }
                }
                case 6 -> {
                    if (r.nextInt(10) == 0) {
                        long to = r.nextInt(5) == 0 ? Long.MAX_VALUE : index + r.nextInt(50);
                        long reserved = 0;
                        for (Iterator<Map.Entry<Key, Model>> it = pages.subMap(k, true, new Key(inode, to), false)
                                .entrySet().iterator(); it.hasNext(); ) {
                            Map.Entry<Key, Model> e = it.next();
                            if (e.getValue().state == PageCache.State.DIRTY && e.getValue().reserved) {
                                reserved++;
                            }
                            lru.remove(e.getKey());
                            it.remove();
                        }
                        assertEquals(reserved, cache.drop(inode, index, to), what);
                    }
                }
                default -> assertEquals(m != null, cache.isCached(inode, index), what);
            }
            checkCounts(cache, inode, what);
        }
    }

    private void checkCounts(PageCache cache, long inode, String what) {
        Map<Long, long[]> perInode = new HashMap<>();
        long dirty = 0;
        for (Map.Entry<Key, Model> e : pages.entrySet()) {
            if (e.getValue().state == PageCache.State.DIRTY) {
                dirty++;
                long[] c = perInode.computeIfAbsent(e.getKey().inode, i -> new long[2]);
                c[0]++;
                if (e.getValue().reserved) {
                    c[1]++;
                }
            }
        }
        long[] c = perInode.getOrDefault(inode, new long[2]);
        assertEquals(dirty, cache.dirtyPages(), what);
        assertEquals(c[0], cache.dirtyPagesOf(inode), what);
        assertEquals(c[0], cache.dirtyPagesOf(inode, 0, Long.MAX_VALUE), what);
        assertEquals(c[1], cache.reservedPagesOf(inode), what);
        assertEquals(pages.size(), cache.cachedPages(), what);
        assertTrue(pages.size() <= MAX_PAGES || lru.isEmpty(), what);
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
