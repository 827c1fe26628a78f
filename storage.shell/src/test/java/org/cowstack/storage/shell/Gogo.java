package org.cowstack.storage.shell;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.cli.CommandSpec;

/**
 * Storage commands called as Gogo calls them: the method found by the function name its
 * component registers, given the session and the words (Gogo's own CharSequences).
 */
final class Gogo {
    private Gogo() {
    }

    /**
     * A component's Gogo functions as Declarative Services registers them: the
     * {@code osgi.command.*} properties bnd wrote into its descriptor from {@code @GogoCommand}
     * (an annotation the class file does not keep at run time).
     */
    static List<String> property(Class<?> component, String name) {
        try (InputStream in = component.getResourceAsStream("/OSGI-INF/" + component.getName() + ".xml")) {
            assertNotNull(in, "the DS descriptor of " + component.getName());
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("<property name=\"" + Pattern.quote(name) + "\"[^>]*?(?:value=\"([^\"]*)\"/>|>"
                    + "([^<]*)</property>)", Pattern.DOTALL).matcher(xml);
            if (!m.find()) {
                return List.of();
            }
            String value = m.group(1) != null ? m.group(1) : m.group(2);
            return Arrays.stream(value.split("\n")).map(String::strip).filter(v -> !v.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Gogo method of a command among {@code components}, found by the function name its component registers. */
    static Map.Entry<Object, Method> method(Object[] components, String function) {
        for (Object component : components) {
            if (property(component.getClass(), "osgi.command.function").contains(function)) {
                for (Method m : component.getClass().getMethods()) {
                    if (m.getName().equals(function)) {
                        return Map.entry(component, m);
                    }
                }
            }
        }
        throw new AssertionError("no Gogo method for " + function);
    }

    /** Runs {@code spec} with {@code args} (a null word stays null) as Gogo would, throwing what the command throws. */
    static Object run(Object[] components, CommandSpec spec, List<String> args) throws Throwable {
        return run(components, Sessions.empty(), spec, args);
    }

    /** ... in {@code session}. */
    static Object run(Object[] components, CommandSession session, CommandSpec spec, List<String> args)
            throws Throwable {
        Map.Entry<Object, Method> m = method(components, spec.name());
        CharSequence[] words = new CharSequence[args.size()];
        for (int i = 0; i < words.length; i++) {
            // Gogo passes its own CharSequence (a Token), not always a String
            words[i] = args.get(i) == null ? null : new StringBuilder(args.get(i));
        }
        try {
            return m.getValue().invoke(m.getKey(), session, words);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
