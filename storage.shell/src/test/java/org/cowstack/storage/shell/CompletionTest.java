package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.volume.Volume;
import org.cowstack.storage.cow.fs.CowVolume;
import org.cowstack.storage.device.file.FileDeviceProvider;
import org.cowstack.storage.shell.console.Completion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Completion from the command table and live services, driven as Declarative Services
 * drives the component (references bound, then activated), against the real engine's
 * volumes on RAM disks.
 */
class CompletionTest {
    private final MemEngine engine = new MemEngine();
    private final StorageCompletion completion = new StorageCompletion();

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        CowVolume v = engine.mount("default", 16 << 20);
        engine.mount("data", 16 << 20);
        v.mkdir("/dir");
        v.mkdir("/dir/sub");
        for (String f : List.of("/dir/file", "/file1", "/file2")) {
            v.open(f, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE)).close();
        }
        ChecksumCommands csum = new ChecksumCommands();
        csum.addAlgorithm(ServiceRefs.of(Map.of(ChecksumAlgorithm.NAME, "crc32c", ChecksumAlgorithm.ID, 0,
                ChecksumAlgorithm.DIGEST_LENGTH, 4)));
        csum.addAlgorithm(ServiceRefs.of(Map.of(ChecksumAlgorithm.NAME, "xxhash64", ChecksumAlgorithm.ID, 1,
                ChecksumAlgorithm.DIGEST_LENGTH, 8)));
        PolicyCommands policies = new PolicyCommands();
        for (String s : List.of("buffered", "bounce", "nodatasum", "verify", "direct")) {
            policies.addStrategy(ServiceRefs.of(Map.of(DioStrategy.NAME, s)));
        }
        for (String p : List.of("first-fit", "best-fit", "next-fit")) {
            policies.addPolicy(ServiceRefs.of(Map.of(AllocationPolicy.NAME, p)));
        }
        DeviceCommands devices = new DeviceCommands();
        devices.addProvider(engine.mem, ServiceRefs.of(Map.of(DeviceProvider.SCHEME, "mem")));
        devices.addProvider(new FileDeviceProvider(), ServiceRefs.of(Map.of(DeviceProvider.SCHEME, "file")));
        completion.checksums = csum;
        completion.policies = policies;
        completion.devices = devices;
        completion.bindManager(engine);
        completion.activate();
    }

    @AfterEach
    void stop() throws IOException {
        completion.deactivate();
        engine.close();
    }

    /** Completes the last of {@code words}. */
    private List<Completion> complete(String... words) {
        List<Completion> found = completion.complete(Arrays.asList(words), words.length - 1);
        String word = words[words.length - 1] == null ? "" : words[words.length - 1];
        for (Completion c : found) {
            assertTrue(c.value().startsWith(word), "every candidate starts with the word typed: " + c);
        }
        return found;
    }

    private List<String> values(String... words) {
        return complete(words).stream().map(Completion::value).toList();
    }

    private Completion only(String... words) {
        List<Completion> all = complete(words);
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    @Test
    void itCompletesEveryStorageCommandScopedOrNot() {
        assertEquals(Commands.ALL.size(), completion.commands().size());
        assertTrue(completion.commands().containsAll(List.of("storage:mkfs", "storage:io", "storage:help")));
        assertEquals(List.of("data", "default"), values("storage:df", ""));
        assertEquals(List.of("data", "default"), values("df", ""), "unscoped, as the console allows");
    }

    @Test
    void volumeNames() {
        assertEquals(List.of("default"), values("storage:df", "de"));
        Completion c = only("storage:umount", "da");
        assertEquals("data", c.value());
        assertTrue(c.complete());
        assertEquals("MOUNTED on mem:data", c.description());
        assertEquals(List.of(), values("storage:df", "x"));
        assertEquals(List.of("--json"), values("storage:df", "default", ""), "df takes one argument: its options");
        assertEquals(List.of(), values("storage:df", "default", "x"));
    }

    @Test
    void pathsInsideTheNamedVolumeDirectoryByDirectory() {
        assertEquals(List.of("/dir/", "/file1", "/file2"), values("storage:ls", "default", ""));
        assertEquals(List.of("/dir/", "/file1", "/file2"), values("storage:ls", "default", "/"));
        Completion d = only("storage:ls", "default", "/d");
        assertEquals("/dir/", d.value());
        assertFalse(d.complete(), "a directory goes on");
        assertEquals(List.of("/dir/file", "/dir/sub/"), values("storage:ls", "default", "/dir/"));
        assertTrue(only("storage:rm", "default", "/dir/f").complete(), "a file ends the word");
        assertEquals(List.of("/file1", "/file2"), values("storage:mv", "default", "/dir/file", "/fi"), "TO too");
        assertEquals(List.of(), values("storage:ls", "data", "/"), "the other volume is empty");
        assertEquals(List.of(), values("storage:ls", "nosuch", "/"));
        assertEquals(List.of(), values("storage:ls", "default", "/nope/"));
        assertEquals(List.of(), values("storage:ls", "default", "/file1/"), "a file is no directory");
        assertEquals(List.of(), values("storage:ls", "default", "dir"), "paths are absolute");
        assertEquals(List.of("/file1", "/file2"), values("storage:cp", "--reflink", "default", "/dir/file", "/f"),
                "options do not count as arguments");
        assertEquals(List.of("/dir/"), values("storage:ls", "--json", "default", "/d"));
    }

    @Test
    void ioSubCommandsAndTheirOptionsInsideTheQuotedWord() {
        Completion pwrite = only("storage:io", "default", "/f", "pw");
        assertEquals("pwrite ", pwrite.value(), "its arguments follow inside the quotes, after a space");
        assertFalse(pwrite.complete(), "the quote stays open");
        assertEquals(List.of("fsync", "fiemap", "falloc ", "fpunch ", "fzero ", "funshare "),
                values("storage:io", "default", "/f", "f"), "a sub-command with arguments ends in a space");
        assertTrue(only("storage:io", "default", "/f", "fs").complete(), "fsync takes nothing");
        assertEquals(List.of("pwrite -S", "pwrite -d", "pwrite -a", "pwrite -b"),
                values("storage:io", "default", "/f", "pwrite -"));
        assertEquals(List.of("pwrite -d -S", "pwrite -d -a", "pwrite -d -b"),
                values("storage:io", "default", "/f", "pwrite -d -"), "an option given is not offered again");
        assertEquals(List.of(), values("storage:io", "default", "/f", "pwrite -S "), "a byte value");
        assertEquals(List.of("reflink /dir/", "reflink /file1", "reflink /file2"),
                values("storage:io", "default", "/f", "reflink /"), "SRC is a path in the volume");
        assertFalse(only("storage:io", "default", "/f", "reflink /file1").complete(), "SRCOFF follows");
        assertEquals(List.of("chattr +C", "chattr +nodatasum"), values("storage:io", "default", "/f", "chattr +"));
        assertEquals(List.of("chattr -C", "chattr -nodatasum"), values("storage:io", "default", "/f", "chattr -"),
                "chattr's words are not options");
        assertEquals(List.of("lsattr"), values("storage:io", "default", "/f", "fsync", "ls"), "every io word");
        assertEquals(List.of(), values("storage:io", "default", "/f", "nosuch "));
        assertEquals(List.of("/dir/", "/file1", "/file2"), values("storage:io", "default", "/"), "PATH before");
    }

    @Test
    void optionNames() {
        assertEquals(List.of("--csum", "--block-size", "--size", "--label", "--data", "--metadata"),
                values("storage:mkfs", "-"));
        assertEquals(List.of("--block-size"), values("storage:mkfs", "--b"));
        Completion ro = complete("storage:mount", "--").get(0);
        assertEquals("--ro", ro.value());
        assertEquals("mount read-only", ro.description());
        assertFalse(values("storage:mount", "--ro", "--").contains("--ro"), "given already");
        assertEquals(List.of("--json"), values("storage:volumes", ""), "nothing positional: the options");
        assertEquals(List.of("--ro", "--rw", "--refresh"), values("storage:remount", "--r"));
    }

    @Test
    void installedNamesFromServiceProperties() {
        assertEquals(List.of("crc32c", "xxhash64"), values("storage:mkfs", "--csum", ""));
        assertEquals(List.of("--csum=xxhash64"), values("storage:mkfs", "--csum=x"));
        assertEquals(List.of("best-fit"), values("storage:mount", "--alloc", "b"));
        assertEquals(List.of("bounce", "buffered", "direct", "nodatasum", "verify"),
                values("storage:mount", "--dio", ""));
        assertEquals(List.of("bounce", "buffered", "direct", "nodatasum", "verify"), values("storage:dio", "default", ""));
        assertEquals(List.of("next-fit"), values("storage:alloc", "default", "n"));
        assertEquals(List.of("data", "default"), values("storage:alloc", ""));
    }

    @Test
    void deviceSchemesConfiguredDevicesAndImageFiles() throws IOException {
        Completion mem = complete("storage:mkfs", "m").get(0);
        assertEquals("mem:", mem.value());
        assertFalse(mem.complete());
        assertEquals(List.of("mem:", "mem:default", "mem:data"), values("storage:mount", "v", "mem"));
        assertEquals(List.of("mem:data"), values("storage:mount", "v", "mem:da"));
        // storage:check NAME|URI: volume names and device URIs both
        assertEquals(List.of("data", "default"), values("storage:check", "d"));
        assertEquals(List.of("mem:", "mem:default", "mem:data"), values("storage:check", "mem"));
        assertTrue(values("storage:check", "").containsAll(List.of("data", "default", "mem:")),
                values("storage:check", "").toString());
        Files.createDirectory(dir.resolve("images"));
        Files.createFile(dir.resolve("v.img"));
        Files.createFile(dir.resolve(".hidden"));
        assertEquals(List.of("file:" + dir + "/images/", "file:" + dir + "/v.img"),
                values("storage:mkfs", "--size", "16m", "file:" + dir + "/"));
        assertTrue(only("storage:mkfs", "file:" + dir + "/v").complete());
        assertEquals(List.of("file:" + dir + "/.hidden"), values("storage:mkfs", "file:" + dir + "/."));
        assertEquals(List.of(), values("storage:mkfs", "file:" + dir + "/nope/"));
    }

    @Test
    void helpTopics() {
        assertEquals(List.of("mkfs", "mount", "mkdir", "mv"), values("help", "m"));
        assertEquals(List.of("storage:mkfs", "storage:mount", "storage:mkdir", "storage:mv"),
                values("storage:help", "storage:m"));
        assertEquals(List.of(), values("storage:help", "mkfs", ""));
    }

    @Test
    void itNeverThrows() {
        assertEquals(List.of(), completion.complete(null, 1));
        assertEquals(List.of(), completion.complete(List.of("storage:df"), 1), "index past the words");
        assertEquals(List.of(), completion.complete(List.of("storage:df", ""), 0), "the command itself");
        assertEquals(List.of(), completion.complete(List.of("storage:nosuch", ""), 1));
        assertEquals(List.of(), completion.complete(List.of("felix:lb", ""), 1));
        List<String> nulls = new ArrayList<>(Arrays.asList("storage:io", null, null, null));
        assertEquals(IoScript.TABLE.size(), completion.complete(nulls, 3).size(), "null words are empty words");
        assertEquals("  pwrite ", values("storage:io", "default", "/f", "  ").get(0), "blanks inside the quotes stay");
        assertEquals(4, values("storage:io", "default", "/f", "pwrite \t -").size(), "tabs are blanks too");
        completion.unbindManager(engine);
        assertEquals(List.of(), values("storage:df", ""), "no engine: no volumes");
        assertEquals(List.of(), values("storage:ls", "default", "/"));
        completion.bindManager(engine);
        completion.deactivate();
        assertEquals(List.of(), values("storage:ls", "default", "/"), "deactivated: nothing listed");
    }

    @Test
    void aVolumeThatDoesNotAnswerIsGivenUpQuickly() throws Exception {
        Volume real = engine.volume("default").orElseThrow();
        Volume slow = (Volume) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Volume.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("list")) {
                        Thread.sleep(5_000);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        MemEngine stuck = new MemEngine() {
            @Override
            public Optional<Volume> volume(String name) {
                return Optional.of(slow);
            }
        };
        completion.bindManager(stuck);
        long start = System.nanoTime();
        assertEquals(List.of(), values("storage:ls", "default", "/"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 2_000, "gave up after " + ms + " ms");
        stuck.close();
    }
}
