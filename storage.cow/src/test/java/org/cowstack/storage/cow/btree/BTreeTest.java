package org.cowstack.storage.cow.btree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BTreeTest {

    private static Key key(Random r, int space) {
        return new Key(r.nextInt(space), 1 + r.nextInt(3), r.nextInt(space));
    }

    private static byte[] value(Random r, int max) {
        byte[] v = new byte[r.nextInt(max + 1)];
        r.nextBytes(v);
        return v;
    }

    private static void assertSame(TreeMap<Key, byte[]> model, BTree tree, Random r, String when) throws IOException {
        List<Map.Entry<Key, byte[]>> seen = new ArrayList<>();
        tree.scanAll((k, v) -> seen.add(Map.entry(k, v)));
        assertEquals(model.size(), seen.size(), when + ": item count");
        int i = 0;
        for (Map.Entry<Key, byte[]> e : model.entrySet()) {
            assertEquals(e.getKey(), seen.get(i).getKey(), when + ": key " + i);
            assertArrayEquals(e.getValue(), seen.get(i).getValue(), when + ": value of " + e.getKey());
            i++;
        }
        for (int probe = 0; probe < 50; probe++) {
            Key k = key(r, 300);
            assertArrayEquals(model.get(k), tree.get(k), when + ": get " + k);
            Map.Entry<Key, byte[]> f = model.floorEntry(k);
            BTree.Entry tf = tree.floor(k);
            assertEquals(f == null ? null : f.getKey(), tf == null ? null : tf.key(), when + ": floor " + k);
            Map.Entry<Key, byte[]> c = model.ceilingEntry(k);
            BTree.Entry tc = tree.ceiling(k);
            assertEquals(c == null ? null : c.getKey(), tc == null ? null : tc.key(), when + ": ceiling " + k);
            Key to = key(r, 300);
            if (to.compareTo(k) >= 0) {
                List<Key> range = new ArrayList<>();
                tree.scan(k, to, (kk, v) -> range.add(kk));
                assertEquals(new ArrayList<>(model.subMap(k, true, to, true).keySet()), range, when + ": scan " + k + ".." + to);
            }
        }
        tree.verify();
    }

    @ParameterizedTest
    @ValueSource(ints = {256, 512, 4096})
    void randomOperationsMatchATreeMapAcrossCommits(int nodeSize) throws IOException {
        Random r = new Random(Seeds.seed("BTreeTest.random." + nodeSize));
        MemoryNodeStore store = new MemoryNodeStore(nodeSize);
        BTree tree = BTree.create(store, TreeId.FS);
        TreeMap<Key, byte[]> model = new TreeMap<>();
        int maxValue = Math.min(BTree.maxValueBytes(nodeSize), 200);
        for (int op = 0; op < 20_000; op++) {
            int what = r.nextInt(10);
            Key k = key(r, 300);
            if (what < 6) {
                byte[] v = value(r, maxValue);
                tree.put(k, v);
                model.put(k, v);
            } else {
                // delete an existing key most of the time, so trees also shrink and merge
                if (!model.isEmpty() && r.nextBoolean()) {
                    Key ceiling = model.ceilingKey(k);
                    k = ceiling != null ? ceiling : model.firstKey();
                }
                assertEquals(model.remove(k) != null, tree.delete(k), "delete " + k);
            }
            if (op % 997 == 0) {
                store.commit();
                assertSame(model, tree, r, "after commit at op " + op);
            }
            if (op % 5000 == 4999) {
                // Empty most of it: deep merges and root collapse.
                List<Key> keys = new ArrayList<>(model.keySet());
                for (Key d : keys.subList(0, keys.size() * 9 / 10)) {
                    tree.delete(d);
                    model.remove(d);
                }
                assertSame(model, tree, r, "after mass delete at op " + op);
            }
        }
        store.commit();
        assertSame(model, tree, r, "at the end");
        // No leaked and no lost node: what is live is exactly what the tree reaches.
        Set<Long> reachable = new HashSet<>();
        tree.forEachNode(n -> reachable.add(n.block()));
        assertEquals(store.live, reachable);
    }

    @Test
    void theCommittedTreeStaysIntactWhileTheNextTransactionChangesNodes() throws IOException {
        Random r = new Random(Seeds.seed("BTreeTest.snapshot"));
        MemoryNodeStore store = new MemoryNodeStore(256);
        BTree tree = BTree.create(store, TreeId.FS);
        TreeMap<Key, byte[]> model = new TreeMap<>();
        for (int i = 0; i < 2000; i++) {
            Key k = key(r, 300);
            byte[] v = value(r, 40);
            tree.put(k, v);
            model.put(k, v);
        }
        store.commit();
        assertTrue(tree.rootLevel() >= 2, "a tree deep enough to share inner nodes");
        BTree committed = new BTree(store, TreeId.FS, tree.rootBlock(), tree.rootGeneration(), tree.rootLevel());
        TreeMap<Key, byte[]> committedModel = new TreeMap<>(model);
        long generationBefore = store.generation();
        // Change a third of the keys: every touched path is copied, the rest stays shared.
        List<Key> keys = new ArrayList<>(model.keySet());
        for (int i = 0; i < keys.size(); i += 3) {
            if (r.nextBoolean()) {
                tree.delete(keys.get(i));
                model.remove(keys.get(i));
            } else {
                byte[] v = value(r, 40);
                tree.put(keys.get(i), v);
                model.put(keys.get(i), v);
            }
        }
        assertEquals(generationBefore, store.generation());
        assertSame(committedModel, committed, r, "the committed tree, read while the next one changes");
        assertSame(model, tree, r, "the working tree");
        long[] shared = {0};
        Set<Long> workingNodes = new HashSet<>();
        tree.forEachNode(n -> workingNodes.add(n.block()));
        committed.forEachNode(n -> shared[0] += workingNodes.contains(n.block()) ? 1 : 0);
        assertTrue(shared[0] > 0, "untouched subtrees are shared, not copied");
    }

    @Test
    void oversizedValuesAreRefused() throws IOException {
        MemoryNodeStore store = new MemoryNodeStore(256);
        BTree tree = BTree.create(store, TreeId.FS);
        assertThrows(IllegalArgumentException.class,
                () -> tree.put(new Key(1, 1, 1), new byte[BTree.maxValueBytes(256) + 1]));
        tree.put(new Key(1, 1, 1), new byte[BTree.maxValueBytes(256)]);
        assertEquals(1, tree.count());
    }

    @Test
    void aFlippedByteInACommittedNodeIsDetected() throws IOException {
        MemoryNodeStore store = new MemoryNodeStore(512);
        BTree tree = BTree.create(store, TreeId.FS);
        for (int i = 0; i < 100; i++) {
            tree.put(new Key(i, 1, 0), new byte[20]);
        }
        store.commit();
        long block = tree.rootBlock();
        store.disk.get(block)[300] ^= 0x40;
        IOException e = assertThrows(IOException.class, () -> tree.get(new Key(5, 1, 0)));
        assertTrue(e.getCause() instanceof NodeCodec.ChecksumFailure);
    }

    @Test
    void aNodeFromTheWrongPlaceIsRefusedEvenWithAValidChecksum() throws IOException {
        MemoryNodeStore store = new MemoryNodeStore(512);
        BTree tree = BTree.create(store, TreeId.FS);
        tree.put(new Key(1, 1, 0), new byte[20]);
        store.commit();
        byte[] node = store.disk.get(tree.rootBlock());
        // A correct node, but as the csum tree's, or at another block, or from another generation.
        assertThrows(Corruption.class, () -> store.codec.decode(ByteBuffer.wrap(node), tree.rootBlock(), 0,
                tree.rootGeneration(), TreeId.CSUM, 0));
        assertThrows(Corruption.class, () -> store.codec.decode(ByteBuffer.wrap(node), tree.rootBlock() + 1, 0,
                tree.rootGeneration(), TreeId.FS, 0));
        assertThrows(Corruption.class, () -> store.codec.decode(ByteBuffer.wrap(node), tree.rootBlock(), 0,
                tree.rootGeneration() + 1, TreeId.FS, 0));
        assertNull(tree.get(new Key(2, 1, 0)));
    }
}
