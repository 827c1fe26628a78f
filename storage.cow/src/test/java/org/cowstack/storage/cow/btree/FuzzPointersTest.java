package org.cowstack.storage.cow.btree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;

import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.cow.format.Corruption;
import org.cowstack.storage.cow.format.Key;
import org.cowstack.storage.cow.format.TreeId;
import org.junit.jupiter.api.Test;

/** Child pointers image fuzzing (ImageFuzzTest) found trusted: refused when their parent is decoded or read. */
class FuzzPointersTest {
    private static final int SIZE = 4096;

    private static Node inner(long generation, long child, long childGeneration, long mirror) {
        Node n = Node.empty(TreeId.FS, 1, 500, generation, 0);
        n.addChild(0, new Key(1, 1, 0), child, childGeneration, mirror);
        return n;
    }

    private static Node roundTrip(Node n, NodeCodec writer, NodeCodec reader) throws Exception {
        ByteBuffer b = writer.encode(n, ByteBuffer.allocate(SIZE));
        return reader.decode(b, n.block(), 0, n.generation(), TreeId.FS, 1);
    }

    @Test
    void aChildOutsideTheVolumeOrNewerThanItsParentIsCorruption() throws Exception {
        UUID uuid = UUID.randomUUID();
        NodeCodec any = new NodeCodec(SIZE, uuid, new Crc32c());
        NodeCodec volume = new NodeCodec(SIZE, uuid, new Crc32c(), 64, 2047, true);
        roundTrip(inner(5, 64, 5, 2047), any, volume);
        for (long bad : new long[] {63, 2048, -1, Long.MAX_VALUE, 1L << 51}) {
            Corruption e = assertThrows(Corruption.class, () -> roundTrip(inner(5, bad, 4, 0), any, volume));
            assertTrue(e.getMessage().contains("child 0 at block " + bad) && e.getMessage().contains("outside the volume"),
                    e.getMessage());
            assertThrows(Corruption.class, () -> roundTrip(inner(5, 100, 4, bad), any, volume), "second copy " + bad);
        }
        Corruption newer = assertThrows(Corruption.class, () -> roundTrip(inner(5, 100, 6, 0), any, volume));
        assertTrue(newer.getMessage().contains("child 0 has generation 6, the node itself 5"), newer.getMessage());
        assertThrows(Corruption.class, () -> roundTrip(inner(5, 100, 0, 0), any, volume));
        Node empty = Node.empty(TreeId.FS, 1, 500, 5, 0);
        Corruption none = assertThrows(Corruption.class, () -> roundTrip(empty, any, volume));
        assertTrue(none.getMessage().contains("an inner node without children"), none.getMessage());
        NodeCodec single = new NodeCodec(SIZE, uuid, new Crc32c(), 64, 2047, false);
        roundTrip(inner(5, 100, 4, 0), any, single);
        Corruption mirror = assertThrows(Corruption.class, () -> roundTrip(inner(5, 100, 4, 1000), any, single));
        assertTrue(mirror.getMessage().contains("second copy 1000"), mirror.getMessage());
    }

    /** Two parents' pointers to one node: a change through one would free it while the other still names it. */
    @Test
    void aChildWhoseKeysLieOutsideItsParentsRangeIsCorruption() throws IOException {
        MemoryNodeStore store = new MemoryNodeStore(SIZE);
        BTree t = BTree.create(store, TreeId.FS);
        for (int i = 0; i < 2000; i++) {
            t.put(new Key(i, 1, 0), new byte[] {(byte) i});
        }
        store.commit();
        t.put(new Key(5000, 1, 0), new byte[] {1}); // the root is now a node of the running transaction, in memory
        Node root = store.read(t.rootBlock(), t.rootMirror(), t.rootGeneration(), TreeId.FS, t.rootLevel());
        assertTrue(root.size() >= 3, "a root with several children");
        Key inThird = root.key(2);
        assertArrayEquals(new byte[] {(byte) inThird.objectId()}, t.get(inThird));
        root.setChild(2, root.childBlock(0), root.childGeneration(0), root.childMirror(0));
        Corruption e = assertThrows(Corruption.class, () -> t.get(inThird));
        assertTrue(e.getMessage().contains("outside the range its parent"), e.getMessage());
        assertThrows(Corruption.class, t::count);
    }
}
