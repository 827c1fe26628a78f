package org.cowstack.storage.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.CommandCompletion;
import org.cowstack.storage.shell.console.Completion;
import org.jline.reader.Candidate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

/** Tab against a real Gogo session, a fake storage completion service and fake bundles. */
class ConsoleCompleterTest {
    public static final class Commands {
        public void csum() {
        }

        public void df(String volume) {
        }

        public void io(String volume, String path, String[] commands) {
        }

        public void stop(String[] bundles) {
        }

        public void update(String bundle) {
        }

        public void help() {
        }
    }

    /** What storage.shell's service answers: volume names, and io sub-commands inside quotes. */
    static final class FakeStorageCompletion implements CommandCompletion {
        final List<List<String>> asked = new ArrayList<>();

        @Override
        public Set<String> commands() {
            return Set.of("storage:df", "storage:io");
        }

        @Override
        public List<Completion> complete(List<String> words, int index) {
            asked.add(List.copyOf(words.subList(0, index + 1)));
            if (index == 1) {
                return List.of(new Completion("default", "MOUNTED", true));
            }
            if (index == 3) {
                return List.of(new Completion("pwrite", "write a range", false), new Completion("pread", null, false));
            }
            return List.of();
        }
    }

    private ThreadIOImpl threadIO;
    private CommandSession session;
    private ExecutorService helper;
    private final FakeStorageCompletion storage = new FakeStorageCompletion();
    private List<CommandCompletion> services;
    private Bundle[] bundles = new Bundle[0];
    private ConsoleCompleter completer;

    @BeforeEach
    void start() {
        threadIO = new ThreadIOImpl();
        threadIO.start();
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIO);
        Commands commands = new Commands();
        processor.addCommand("storage", commands, "csum");
        processor.addCommand("storage", commands, "df");
        processor.addCommand("storage", commands, "io");
        processor.addCommand("felix", commands, "stop");
        processor.addCommand("felix", commands, "update");
        processor.addCommand("felix", commands, "help");
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                new ByteArrayOutputStream());
        session.put("SCOPE", Console.SCOPE);
        helper = Executors.newCachedThreadPool();
        services = List.of(storage);
        completer = new ConsoleCompleter(session, () -> services, () -> bundles, helper);
    }

    @AfterEach
    void stop() {
        helper.shutdownNow();
        session.close();
        threadIO.stop();
    }

    private List<String> values(String line) {
        List<Candidate> candidates = new ArrayList<>();
        completer.complete(null, CommandLine.split(line, line.length()), candidates);
        return candidates.stream().map(Candidate::value).sorted().collect(Collectors.toList());
    }

    @Test
    void commandNamesUnscopedWithTheScopesOrScopedAfterAColon() {
        List<String> names = values("");
        assertTrue(names.containsAll(List.of("csum", "df", "io", "stop", "update", "help", "storage:", "felix:")), names.toString());
        assertTrue(values("storage:").containsAll(List.of("storage:csum", "storage:df", "storage:io", "felix:stop")));
        assertTrue(values("lb | ").contains("csum"), "after a pipe, a command");
        assertTrue(values("each [1] { ").contains("csum"), "inside a closure, a command");
        assertEquals(List.of(), values("$"), "variables are not commands");
    }

    @Test
    void storageArgumentsComeFromTheServiceWithTheWordsAsTyped() {
        assertEquals(List.of("default"), values("storage:df "));
        assertEquals(List.of("default"), values("df de"), "unscoped, resolved along SCOPE");
        assertEquals(List.of("pread", "pwrite"), values("storage:io default /f \"pw"));
        values("storage:io default /f \"pwrite -S 0xab 0 4k\" \"md");
        assertEquals(List.of("storage:io", "default", "/f", "pwrite -S 0xab 0 4k", "md"),
                storage.asked.get(storage.asked.size() - 1), "quotes removed, a quoted sub-command one word");
    }

    @Test
    void withoutAServiceStorageArgumentsCompleteNothing() {
        services = List.of();
        assertEquals(List.of(), values("storage:df "));
        assertEquals(List.of(), values("storage:io default /f \"pw"));
    }

    @Test
    void bundlesForFelixBundleCommandsAndCommandsForHelp() {
        bundles = new Bundle[] {bundle(0, "org.apache.felix.framework"), bundle(17, "storage.csum")};
        assertEquals(List.of("0", "17", "org.apache.felix.framework", "storage.csum"), values("stop "));
        assertEquals(List.of("0", "17", "org.apache.felix.framework", "storage.csum"), values("stop -t 17 "));
        assertEquals(List.of("0", "17", "org.apache.felix.framework", "storage.csum"), values("felix:update "));
        assertEquals(List.of(), values("update 17 "), "update's second argument is a URL");
        assertTrue(values("help ").containsAll(List.of("csum", "stop")));
    }

    @Test
    void aFailingOrHangingServiceAnswersNothingAndTheConsoleGoesOn() throws Exception {
        services = List.of(new CommandCompletion() {
            @Override
            public Set<String> commands() {
                return Set.of("storage:df");
            }

            @Override
            public List<Completion> complete(List<String> words, int index) {
                throw new IllegalStateException("broken");
            }
        });
        assertEquals(List.of(), values("storage:df "));
        CountDownLatch never = new CountDownLatch(1);
        services = List.of(new CommandCompletion() {
            @Override
            public Set<String> commands() {
                return Set.of("storage:df");
            }

            @Override
            public List<Completion> complete(List<String> words, int index) {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of(Completion.of("late"));
            }
        });
        long start = System.nanoTime();
        assertEquals(List.of(), values("storage:df "));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= ConsoleCompleter.TIMEOUT_MS - 50 && ms < ConsoleCompleter.TIMEOUT_MS + 1_000, ms + " ms");
        never.countDown();
    }

    private static Bundle bundle(long id, String name) {
        return (Bundle) java.lang.reflect.Proxy.newProxyInstance(Bundle.class.getClassLoader(),
                new Class<?>[] {Bundle.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getBundleId":
                            return id;
                        case "getSymbolicName":
                            return name;
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
