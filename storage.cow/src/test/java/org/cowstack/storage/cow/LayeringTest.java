package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The engine's packages depend on each other one way: format, btree, meta, then space,
 * cache and bind, then core, io, the rooms over it (extent, ns, inspect, scrub), bitmaps, the facade
 * (fs) and the manager. A package may use its own level and those below; one that
 * reaches up fails here, naming the file and the import. No main class grows past the
 * size a newcomer can hold in mind.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/org/cowstack/storage/cow");
    private static final Map<String, Integer> LEVEL = Map.ofEntries(
            Map.entry("format", 0), Map.entry("btree", 1), Map.entry("meta", 2),
            Map.entry("bind", 3), Map.entry("cache", 3), Map.entry("space", 4),
            Map.entry("core", 5), Map.entry("io", 6),
            Map.entry("extent", 7), Map.entry("ns", 7), Map.entry("inspect", 7), Map.entry("scrub", 7), Map.entry("map", 7),
            Map.entry("bitmap", 8), Map.entry("fs", 9), Map.entry("", 10));
    private static final Pattern IMPORT = Pattern.compile("^import org\\.cowstack\\.storage\\.cow\\.(\\w+)\\.",
            Pattern.MULTILINE);
    private static final int MAX_LINES = 600;

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    private static String packageOf(Path file) {
        Path rel = MAIN.relativize(file.getParent());
        return rel.toString();
    }

    @Test
    void packagesDependOnTheirOwnLevelAndThoseBelowOnly() throws IOException {
        List<String> upward = new ArrayList<>();
        for (Path file : sources()) {
            String from = packageOf(file);
            assertTrue(LEVEL.containsKey(from), "package " + from + " has no level in this test: give it one");
            Matcher m = IMPORT.matcher(Files.readString(file));
            while (m.find()) {
                String to = m.group(1);
                if (LEVEL.containsKey(to) && LEVEL.get(to) > LEVEL.get(from)) {
                    upward.add(MAIN.relativize(file) + " imports " + to);
                }
            }
        }
        assertEquals(List.of(), upward);
    }

    @Test
    void noMainClassIsLargerThanARoom() throws IOException {
        List<String> large = new ArrayList<>();
        for (Path file : sources()) {
            long lines = Files.readAllLines(file).size();
            if (lines > MAX_LINES) {
                large.add(MAIN.relativize(file) + ": " + lines + " lines");
            }
        }
        assertEquals(List.of(), large, "split by what it holds");
    }

    @Test
    void everyPackageSaysWhatItHolds() throws IOException {
        List<String> missing = new ArrayList<>();
        for (String pkg : LEVEL.keySet()) {
            if (!Files.exists(MAIN.resolve(pkg).resolve("package-info.java"))) {
                missing.add(pkg.isEmpty() ? "org.cowstack.storage.cow" : pkg);
            }
        }
        assertEquals(List.of(), missing);
    }
}
