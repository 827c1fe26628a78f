package org.cowstack.storage.itest;

import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** What the integration tests do inside the running framework: find bundles and services, wait, run Gogo. */
final class InFramework {
    static final long TIMEOUT_MS = 10_000;

    private final BundleContext context;
    private final CommandProcessor gogo;

    InFramework(BundleContext context, CommandProcessor gogo) {
        this.context = context;
        this.gogo = gogo;
    }

    Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }

    interface Check {
        boolean holds() throws Exception;
    }

    /** Waits for a condition; a check that throws has not come true yet. */
    static void await(String what, Check check) throws InterruptedException {
        await(what, TIMEOUT_MS, check);
    }

    static void await(String what, long timeoutMs, Check check) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!holds(check)) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private static boolean holds(Check check) {
        try {
            return check.holds();
        } catch (Exception e) {
            return false;
        }
    }

    /** The services of a type, by the value of one of their properties. */
    <S> Map<String, ServiceReference<S>> byProperty(Class<S> type, String property) throws Exception {
        Map<String, ServiceReference<S>> map = new TreeMap<>();
        for (ServiceReference<S> ref : context.getServiceReferences(type, null)) {
            map.put(String.valueOf(ref.getProperty(property)), ref);
        }
        return map;
    }

    int count(Class<?> type) {
        try {
            return context.getServiceReferences(type, null).size();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Java class or exception names in a message: what a user must never be shown. */
    static final java.util.regex.Pattern JAVA = java.util.regex.Pattern.compile(
            "\\b(java|javax|org|com)\\.[a-z]+\\.|Exception|Cannot coerce");

    /**
     * Runs a command line that must fail; answers its message, checked to be one clear
     * line (not blank, no line break, no Java class or exception name).
     */
    String failure(String command) throws Exception {
        String printed;
        try {
            printed = session(command);
        } catch (Exception e) {
            String m = e.getMessage();
            org.junit.Assert.assertTrue(command + ": a message", m != null && !m.isBlank());
            org.junit.Assert.assertFalse(command + ": one line: " + m, m.contains("\n"));
            org.junit.Assert.assertFalse(command + ": " + m, JAVA.matcher(m).find());
            return m;
        }
        throw new AssertionError(command + " must fail, printed: " + printed);
    }

    /** Runs a command line in a Gogo session; returns the formatted result plus anything printed. */
    String session(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = gogo.createSession(new ByteArrayInputStream(new byte[0]), print, print);
        try {
            Object result = session.execute(command);
            if (result != null) {
                print.print(session.format(result, Converter.INSPECT));
            }
            return out.toString(StandardCharsets.UTF_8).strip();
        } finally {
            session.close();
        }
    }
}
