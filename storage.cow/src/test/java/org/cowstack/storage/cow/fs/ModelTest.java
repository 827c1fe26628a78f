package org.cowstack.storage.cow.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.cowstack.storage.api.volume.FileHandle;
import org.cowstack.storage.api.volume.FormatOptions;
import org.cowstack.storage.testkit.Seeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fsx idea: a long seeded sequence of writes (buffered and direct), reads,
 * truncates, renames, deletes, syncs and remounts, checked after every step against a
 * model of what every file must contain, with a reference-count audit now and then.
 */
class ModelTest {
    private static final int FILES = 4;
    private static final int MAX_FILE = 3 << 20;

    @ParameterizedTest
    @ValueSource(ints = {4096, 512})
    void randomOperationsMatchTheModel(int blockSize) throws IOException {
        long seed = Seeds.seed("ModelTest." + blockSize);
        Random r = new Random(seed);
        Volumes volumes = Volumes.mem();
        URI uri = URI.create("mem:model" + blockSize);
        volumes.mkfs(uri, 64 << 20, FormatOptions.defaults().blockSize(blockSize));
        CowVolume v = volumes.mount(uri);
        Map<String, byte[]> model = new TreeMap<>();
        int ops = 3000;
        for (int op = 0; op < ops; op++) {
            String path = "/f" + r.nextInt(FILES);
            byte[] content = model.get(path);
            String what;
            int choice = r.nextInt(100);
            if (choice < 35) {
                what = "write";
                int length = 1 + r.nextInt(r.nextInt(10) == 0 ? 256 << 10 : 20_000);
                long offset = r.nextInt(MAX_FILE - length);
                byte[] data = new byte[length];
                r.nextBytes(data);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.write(ByteBuffer.wrap(data), offset);
                }
                model.put(path, apply(content, offset, data));
            } else if (choice < 50) {
                what = "direct write";
                int blocks = 1 + r.nextInt(32);
                long offset = (long) r.nextInt(MAX_FILE / blockSize - blocks) * blockSize;
                byte[] data = new byte[blocks * blockSize];
                r.nextBytes(data);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.writeDirect(ByteBuffer.wrap(data), offset);
                }
                model.put(path, apply(content, offset, data));
            } else if (choice < 60) {
                what = "truncate";
                int size = r.nextBoolean() ? r.nextInt(MAX_FILE) : r.nextInt(20_000);
                try (FileHandle f = v.open(path, Volumes.RW)) {
                    f.truncate(size);
                }
                model.put(path, Arrays.copyOf(content == null ? new byte[0] : content, size));
            } else if (choice < 64) {
                what = "delete";
                if (content != null) {
                    v.delete(path);
                    model.remove(path);
                }
            } else if (choice < 68) {
                what = "rename";
                String to = "/f" + r.nextInt(FILES);
                if (content != null) {
                    v.rename(path, to);
                    model.remove(path);
                    model.put(to, content);
                }
            } else if (choice < 88) {
                what = "read";
                if (content != null && content.length > 0) {
                    int offset = r.nextInt(content.length);
                    int length = 1 + r.nextInt(Math.min(100_000, content.length - offset));
                    ByteBuffer got = ByteBuffer.allocate(length);
                    try (FileHandle f = v.open(path, EnumSet.of(StandardOpenOption.READ))) {
                        assertEquals(length, f.read(got, offset), "op " + op + " read length (seed " + seed + ")");
                    }
                    assertArrayEquals(Arrays.copyOfRange(content, offset, offset + length), got.array(),
                            "op " + op + ": read " + path + " " + offset + "+" + length + " (seed " + seed + ")");
                }
            } else if (choice < 95) {
                what = "sync";
                v.sync();
            } else {
                what = "remount";
                v.unmount();
                v = volumes.mount(uri);
                checkAll(v, model, "op " + op + " after remount (seed " + seed + ")");
            }
            if (op % 250 == 249) {
                assertEquals(List.of(), v.audit(), "op " + op + " (" + what + ") audit, seed " + seed);
                checkAll(v, model, "op " + op + " (seed " + seed + ")");
            }
        }
        v.unmount();
        v = volumes.mount(uri);
        checkAll(v, model, "at the end (seed " + seed + ")");
        assertEquals(List.of(), v.audit());
        v.unmount();
    }

    private static byte[] apply(byte[] content, long offset, byte[] data) {
        byte[] base = content == null ? new byte[0] : content;
        byte[] out = Arrays.copyOf(base, (int) Math.max(base.length, offset + data.length));
        System.arraycopy(data, 0, out, (int) offset, data.length);
        return out;
    }

    static void checkAll(CowVolume v, Map<String, byte[]> model, String when) throws IOException {
        List<String> names = new ArrayList<>();
        v.list("/").forEach(e -> names.add("/" + e.name()));
        assertEquals(new ArrayList<>(model.keySet()), names, when + ": files");
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getValue(), Volumes.readAll(v, e.getKey()), when + ": content of " + e.getKey());
            assertEquals(e.getValue().length, v.stat(e.getKey()).size(), when + ": size of " + e.getKey());
        }
    }
}
