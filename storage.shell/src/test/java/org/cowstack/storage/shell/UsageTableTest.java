package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.cowstack.storage.shell.cli.CommandSpec;
import org.cowstack.storage.shell.cli.OptionSpec;
import org.cowstack.storage.shell.cli.UsageException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Wrong usage of every storage command, generated from the command table and run through
 * the real Gogo methods (as Gogo calls them: the session, then the words): each answer is
 * one line that names what was wrong and ends with the usage, never Gogo's coercion
 * jargon or a Java class name. Bad values the shell checks itself name the bad input.
 */
class UsageTableTest {
    /** Java class names (java.lang.String, org.x.Y) or exception names in a message. */
    private static final Pattern JAVA = Pattern.compile("\\b(java|javax|org|com)\\.[a-z]+\\.|Exception|Cannot coerce");

    private static final Object[] COMPONENTS = {new VolumeCommands(), new FileCommands(), new PolicyCommands(),
        new ChecksumCommands(), new DeviceCommands(), new HelpCommand(), new BitmapCommands(), new ScrubCommands(),
        new CheckCommands(), new NbdCommands(), new S3Commands()};

    private static final Map<String, Integer> CASES = new LinkedHashMap<>();

    /** One wrong command line and a piece of what its one line must say. */
    record Case(CommandSpec spec, List<String> args, String says) {
        @Override
        public String toString() {
            return spec.scoped() + " " + args + " -> " + says;
        }
    }

    private static Map.Entry<Object, Method> method(String function) {
        return Gogo.method(COMPONENTS, function);
    }

    private static List<String> property(Class<?> component, String name) {
        return Gogo.property(component, name);
    }

    private static Object run(CommandSpec spec, List<String> args) throws Throwable {
        return Gogo.run(COMPONENTS, spec, args);
    }

    /** Enough positional words for {@code n} arguments. */
    private static List<String> positional(int n) {
        List<String> words = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            words.add("a" + i);
        }
        return words;
    }

    private static List<String> words(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static Stream<Case> wrongUsage() {
        List<Case> cases = new ArrayList<>();
        for (CommandSpec spec : Commands.ALL) {
            // a command with a required choice gets it in every case not about the choice
            List<String> choice = spec.oneOf().isEmpty() ? List.of() : List.of(spec.oneOf().get(0).get(0));
            int min = spec.minArguments();
            int max = spec.maxArguments();
            List<Case> mine = new ArrayList<>();
            if (max < Integer.MAX_VALUE) {
                mine.add(new Case(spec, words(choice, positional(max + 1)), ", got " + (max + 1)));
                mine.add(new Case(spec, words(choice, positional(max + 3)), ", got " + (max + 3)));
            }
            if (min > 0) {
                mine.add(new Case(spec, words(choice, positional(min - 1)), ", got " + (min - 1)));
            }
            mine.add(new Case(spec, words(choice, words(positional(min), List.of("--bogus"))), "unknown option --bogus"));
            mine.add(new Case(spec, words(choice, words(List.of("-z"), positional(min))), "unknown option -z"));
            mine.add(new Case(spec, words(choice, words(List.of("--bogus=1"), positional(min))),
                    "unknown option --bogus"));
            for (OptionSpec o : spec.options()) {
                if (o.isFlag()) {
                    if (!choice.contains(o.name())) {
                        mine.add(new Case(spec, words(choice, words(positional(min), List.of(o.name(), o.name()))),
                                "option " + o.name() + " given twice"));
                    }
                    mine.add(new Case(spec, words(positional(min), List.of(o.name() + "=yes")),
                            "option " + o.name() + " takes no value"));
                } else {
                    mine.add(new Case(spec, words(choice, words(positional(min), List.of(o.name()))),
                            "option " + o.name() + " needs a value (" + o.valueName() + ")"));
                    mine.add(new Case(spec, words(choice, words(List.of(o.name(), "v1", o.name(), "v2"),
                            positional(min))), "option " + o.name() + " given twice"));
                    for (OptionSpec other : spec.options()) {
                        if (other != o) {
                            mine.add(new Case(spec, words(choice, words(List.of(o.name(), other.name()),
                                    positional(min))), "option " + o.name() + " needs a value"));
                            break;
                        }
                    }
                }
            }
            for (List<String> group : spec.oneOf()) {
                mine.add(new Case(spec, positional(min), "give one of " + group.get(0)));
                mine.add(new Case(spec, words(group, positional(min)), " exclude each other"));
            }
            List<String> withNull = words(choice, positional(Math.max(1, min)));
            withNull.set(withNull.size() - 1, null);
            mine.add(new Case(spec, withNull, "is null"));
            CASES.put(spec.scoped(), mine.size());
            cases.addAll(mine);
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("wrongUsage")
    void wrongUsageIsOneLineNamingTheMistakeThenTheUsage(Case c) {
        Throwable e = assertThrows(c);
        assertTrue(e instanceof UsageException, c + ": a usage error, not " + e);
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.startsWith(c.spec().scoped() + ": "), m);
        assertTrue(m.endsWith("; usage: " + c.spec().usage()), m);
        assertTrue(m.contains(c.says()), c + " says: " + m);
        assertFalse(JAVA.matcher(m).find(), "no Java names: " + m);
    }

    private static Throwable assertThrows(Case c) {
        try {
            Object result = run(c.spec(), c.args());
            fail(c + ": refused, not answered with " + result);
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    /** Bad values that the shell checks before anything runs: the one line names the value. */
    static Stream<Object[]> badValues() {
        return Stream.of(
                new Object[] {Commands.MKFS, List.of("--block-size", "abc", "mem:x"), "abc"},
                new Object[] {Commands.MKFS, List.of("--block-size", "16g", "mem:x"), "16g"},
                new Object[] {Commands.MKFS, List.of("--size", "1.5g", "mem:x"), "1.5g"},
                new Object[] {Commands.MKFS, List.of("vol.img"), "vol.img"},
                new Object[] {Commands.MKFS, List.of("file:a b?c"), "file:a b?c"},
                new Object[] {Commands.MOUNT, List.of("--commit-interval", "0", "v", "mem:x"), "0"},
                new Object[] {Commands.MOUNT, List.of("--commit-interval", "1d", "v", "mem:x"), "1d"},
                new Object[] {Commands.MOUNT, List.of("--suspend-timeout", "soon", "v", "mem:x"), "soon"},
                new Object[] {Commands.MOUNT, List.of("v", "nothing"), "nothing"},
                new Object[] {Commands.OWNERS, List.of("v", "x12"), "x12"},
                new Object[] {Commands.OWNERS, List.of("v", "-1"), "-1"},
                new Object[] {Commands.IO, List.of("v", "/f", "pwrit 0 1"), "pwrit"},
                new Object[] {Commands.IO, List.of("v", "/f", "fsync", "pwrite 0"), "pwrite"},
                new Object[] {Commands.IO, List.of("v", "/f", "pwrite -x 0 1"), "-x"},
                new Object[] {Commands.IO, List.of("v", "/f", "pwrite", "0", "4k"), "\"pwrite 0 4k\""},
                new Object[] {Commands.IO, List.of("v", "/f", "pwrite", "0", "4k", "fsync"), "\"pwrite 0 4k\" \"fsync\""},
                new Object[] {Commands.DIO, List.of("--json", "v"), "--json"},
                new Object[] {Commands.ALLOC, List.of("v", "--json"), "--json"},
                new Object[] {Commands.HELP, List.of("storage:nosuch"), "storage:nosuch"},
                new Object[] {Commands.MKFS, List.of("--data", "raid5", "mem:x"), "raid5"},
                new Object[] {Commands.MKFS, List.of("--metadata", "triple", "mem:x"), "triple"},
                new Object[] {Commands.SCRUB, List.of("scour", "v"), "scour"},
                new Object[] {Commands.SCRUB, List.of("start", "--limit", "fast", "v"), "fast"},
                new Object[] {Commands.SCRUB, List.of("start", "--limit", "-5M", "v"), "-5M"},
                new Object[] {Commands.SCRUB, List.of("limit", "v", "1.5G"), "1.5G"},
                new Object[] {Commands.SCRUB, List.of("limit", "v"), "limit NAME RATE"},
                new Object[] {Commands.SCRUB, List.of("pause", "v", "50M"), "pause NAME"},
                new Object[] {Commands.SCRUB, List.of("status", "--wait", "v"), "--wait"},
                new Object[] {Commands.SCRUB, List.of("pause", "--watch", "v"), "--watch"},
                new Object[] {Commands.SCRUB, List.of("cancel", "--json", "v"), "--json"});
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void badValuesAreOneLineNamingTheValue(CommandSpec spec, List<String> args, String value) {
        Throwable e = assertThrows(new Case(spec, args, value));
        String m = e.getMessage();
        assertNotNull(m, e.toString());
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains(value), "names " + value + ": " + m);
        assertFalse(JAVA.matcher(m).find(), "no Java names: " + m);
        if (e instanceof UsageException) {
            assertTrue(m.startsWith(spec.scoped() + ": ") && m.endsWith("; usage: " + spec.usage()), m);
        }
    }

    @Test
    void theExamplesOfTheIssue() {
        assertEquals("storage:mkfs: unknown option --bogus; usage: storage:mkfs [--csum NAME] [--block-size SIZE] "
                + "[--size SIZE] [--label L] [--data PROFILE] [--metadata PROFILE] URI", assertThrows(new Case(Commands.MKFS,
                        List.of("--bogus", "mem:x"), "")).getMessage());
        assertEquals("storage:df: expected 1 argument, got 2; usage: storage:df [--json] NAME",
                assertThrows(new Case(Commands.DF, List.of("a", "b"), "")).getMessage());
        assertEquals("storage:remount: give one of --ro, --rw and --refresh; usage: storage:remount "
                + "--ro|--rw|--refresh NAME",
                assertThrows(new Case(Commands.REMOUNT, List.of("m"), "")).getMessage());
        assertEquals("storage:io: expected at least 3 arguments, got 2; usage: storage:io NAME PATH \"CMD ARGS\"...",
                assertThrows(new Case(Commands.IO, List.of("v", "/f"), "")).getMessage());
        assertEquals("storage:dio: expected 0 to 2 arguments, got 3; usage: storage:dio [--json] [NAME [STRATEGY]]",
                assertThrows(new Case(Commands.DIO, List.of("a", "b", "c"), "")).getMessage());
        assertEquals("storage:ls: expected 1 or 2 arguments, got 0; usage: storage:ls [--json] NAME [PATH]",
                assertThrows(new Case(Commands.LS, List.of(), "")).getMessage());
        assertEquals("storage:csum: expected no arguments, got 1; usage: storage:csum [--json]",
                assertThrows(new Case(Commands.CSUM, List.of("nonsense-argument"), "")).getMessage());
    }

    @Test
    void wordsAfterTwoDashesAreArgumentsAndNegativeNumbersAreNotOptions() throws Throwable {
        // --json after -- is a (third) argument of ls, not the flag
        assertTrue(assertThrows(new Case(Commands.LS, List.of("v", "--", "--json", "x"), "")).getMessage()
                .startsWith("storage:ls: expected 1 or 2 arguments, got 3"));
        CommandSpec mkfs = Commands.MKFS;
        assertEquals(List.of("-1"), mkfs.parse(List.of("--size=4k", "-1")).from(0));
        assertEquals("4k", mkfs.parse(List.of("--size=4k", "-1")).option("--size", null));
    }

    /** Every declared command is a Gogo function with its description, and every Gogo function is declared. */
    @Test
    void theTableAndTheGogoFunctionsAgree() throws Exception {
        TreeSet<String> functions = new TreeSet<>();
        for (Object component : COMPONENTS) {
            assertEquals(List.of(Commands.SCOPE), property(component.getClass(), "osgi.command.scope"));
            functions.addAll(property(component.getClass(), "osgi.command.function"));
        }
        TreeSet<String> declared = new TreeSet<>();
        for (CommandSpec spec : Commands.ALL) {
            declared.add(spec.name());
            Method m = method(spec.name()).getValue();
            assertEquals(List.of(CommandSession.class, CharSequence[].class), List.of(m.getParameterTypes()),
                    spec.name() + " takes the session and the words, so Gogo never coerces");
            assertEquals(spec.description(), m.getAnnotation(Descriptor.class).value(),
                    "felix:help " + spec.scoped() + " says what help says");
            int same = 0;
            for (Method other : m.getDeclaringClass().getMethods()) {
                same += other.getName().equals(spec.name()) ? 1 : 0;
            }
            assertEquals(1, same, "one method " + spec.name() + ": nothing for Gogo to choose between");
            assertTrue(spec.description().length() <= 110, "one line: " + spec.description());
            assertFalse(spec.group().isEmpty());
            assertTrue(Commands.GROUPS.contains(spec.group()), spec.group());
        }
        assertEquals(declared, functions);
    }

    @AfterAll
    static void counts() {
        int total = CASES.values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("usage table: " + CASES.size() + " commands x " + total + " wrong-usage cases: " + CASES);
    }
}
