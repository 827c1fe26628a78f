package org.cowstack.storage.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.ConsoleSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against the real Gogo runtime, outside OSGi. */
class ScriptRunnerTest {
    public static final class Commands {
        public final List<String> calls = new ArrayList<>();

        public String hello() {
            calls.add("hello");
            return "hi";
        }

        public long add(long a, long b) {
            calls.add("add");
            return a + b;
        }

        public void fail() throws IOException {
            calls.add("fail");
            throw new IOException("the device is on fire");
        }

        public void missing() throws IOException {
            calls.add("missing");
            throw new java.nio.file.NoSuchFileException("/nothing");
        }

        public void bug() {
            calls.add("bug");
            throw new NullPointerException("oops");
        }

        /** A long command honouring the console contract: it stops at a clean point once asked. */
        public String slow(CommandSession session) throws java.io.InterruptedIOException, InterruptedException {
            calls.add("slow");
            AtomicBoolean cancel = (AtomicBoolean) session.get(ConsoleSession.CANCEL);
            started.countDown();
            for (int piece = 0; piece < 10_000; piece++) {
                if (cancel.get()) {
                    throw new java.io.InterruptedIOException("interrupted");
                }
                Thread.sleep(1);
            }
            return "done";
        }

        /** A command that does not look at the flag: it finishes, and the run stops after it. */
        public String deaf() throws InterruptedException {
            calls.add("deaf");
            started.countDown();
            Thread.sleep(200);
            return "finished";
        }

        /** What Gogo's exit does to a running statement: the JVM exits, the framework stops, we are interrupted. */
        public void leave() throws InterruptedException {
            calls.add("leave");
            exiting.set(true);
            throw new InterruptedException();
        }
    }

    private static final AtomicBoolean exiting = new AtomicBoolean();
    private static java.util.concurrent.CountDownLatch started;

    private ThreadIOImpl threadIO;
    private final Commands commands = new Commands();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<Throwable> logged = new ArrayList<>();
    private CommandSession session;
    private ScriptRunner runner;

    @BeforeEach
    void start() {
        threadIO = new ThreadIOImpl();
        threadIO.start();
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIO);
        processor.addCommand("t", commands);
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), o, e);
        exiting.set(false);
        started = new java.util.concurrent.CountDownLatch(1);
        runner = new ScriptRunner(session, o, e, logged::add, exiting::get);
    }

    @AfterEach
    void stop() {
        session.close();
        threadIO.stop();
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsEveryResultInOrder() {
        assertEquals(ScriptRunner.OK, runner.run("t:hello; t:add 2 3\nt:hello", null));
        assertEquals("hi\n5\nhi\n", out());
        assertEquals("", err());
    }

    @Test
    void stopsAtTheFirstFailureWithOneErrorLine() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:hello; t:fail; t:hello", null));
        assertEquals(List.of("hello", "fail"), commands.calls, "nothing after the failure runs");
        assertEquals("hi\n", out());
        assertEquals("error: the device is on fire\n", err());
    }

    @Test
    void fileSystemErrorsSayWhatIsWrongWithThePath() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:missing", null));
        assertEquals("error: /nothing: no such file or directory\n", err());
    }

    @Test
    void unknownCommandsAreOneLine() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:nosuch 1", null));
        assertEquals("error: command not found: t:nosuch\n", err());
    }

    @Test
    void bugsAreOneLineAndLoggedWithTheirTrace() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:bug", null));
        String line = err();
        assertTrue(line.startsWith("error: internal error: NullPointerException: oops"), line);
        assertEquals(1, line.lines().count());
        assertEquals(1, logged.size());
        assertTrue(logged.get(0) instanceof NullPointerException);
    }

    @Test
    void leavingTheJvmStopsTheRunQuietly() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:hello; t:leave; t:hello", null));
        assertEquals(List.of("hello", "leave"), commands.calls);
        assertEquals("", err());
        assertEquals(List.of(), logged);
    }

    @Test
    void syntaxErrorsRunNothing() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:hello; t:hello \"unclosed", null));
        assertTrue(commands.calls.isEmpty());
        assertTrue(err().startsWith("error: 1: syntax error") || err().startsWith("error: syntax error"), err());
        assertEquals(1, err().lines().count());
    }

    @Test
    void scriptErrorsNameFileAndLine() {
        assertEquals(ScriptRunner.FAILED, runner.run("t:hello\n\nt:fail\n", "setup.gosh"));
        assertEquals("error: setup.gosh:3: the device is on fire\n", err());
    }

    @Test
    void pipedInputRunsStatementsAsTheyCompleteIncludingMultiLineOnes() throws IOException {
        String input = "x = 4\nt:add $x 1\nf = {\n  t:hello\n}\nf\nf\nt:fail\nt:hello\n";
        assertEquals(ScriptRunner.FAILED, runner.run(new BufferedReader(new StringReader(input)), "stdin"));
        assertEquals(List.of("add", "hello", "hello", "fail"), commands.calls);
        assertTrue(out().startsWith("4\n5\n"), out());
        assertEquals("error: stdin:8: the device is on fire\n", err());
    }

    @Test
    void pipedInputEndingInsideAStatementFails() throws IOException {
        assertEquals(ScriptRunner.FAILED, runner.run(new BufferedReader(new StringReader("t:hello\nf = {\n")), "stdin"));
        assertEquals("error: stdin:2: syntax error: input ends inside a statement\n", err());
    }

    @Test
    void sigintStopsTheRunningStatementAtItsCleanPointAndTheRunWith130() throws Exception {
        assertFalse(runner.cancel(), "nothing runs yet: SIGINT leaves as it always did");
        var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> runner.run("t:hello; t:slow; t:hello", null));
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(runner.cancel(), "the first SIGINT asks the statement to stop");
        assertFalse(runner.cancel(), "a second one leaves as SIGINT always did");
        assertEquals(ScriptRunner.INTERRUPTED, run.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(130, ScriptRunner.INTERRUPTED);
        assertEquals(List.of("hello", "slow"), commands.calls, "nothing after the interrupted statement runs");
        assertEquals("interrupted\n", err());
        assertFalse(runner.cancel());
    }

    @Test
    void aStatementThatIgnoresTheFlagFinishesButTheRunStopsAfterIt() throws Exception {
        var run = java.util.concurrent.CompletableFuture.supplyAsync(() -> runner.run("t:deaf; t:hello", null));
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(runner.cancel());
        assertEquals(ScriptRunner.INTERRUPTED, run.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("finished\n", out());
        assertEquals("interrupted\n", err());
        assertEquals(List.of("deaf"), commands.calls);
    }

    @Test
    void everyStatementGetsAFreshFlag() {
        assertEquals(ScriptRunner.OK, runner.run("a = $storage.cancel; t:hello; b = $storage.cancel; $a equals $b", null));
        assertTrue(out().endsWith("false\n"), out());
    }
}
