package org.cowstack.storage.launcher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandSession;
import org.cowstack.storage.shell.console.CommandCompletion;
import org.cowstack.storage.shell.console.Completion;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.osgi.framework.Bundle;

/**
 * Tab in the console, from what is installed now:
 *
 * <ul>
 * <li>the first word of a statement: command names, unscoped ({@code csum}, grouped by
 * scope) and the scopes themselves ({@code storage:}), or scoped once a {@code :} is
 * typed;</li>
 * <li>the arguments of a command some {@link CommandCompletion} service completes (the
 * storage commands): what that service answers, for the line's words with quotes
 * removed;</li>
 * <li>bundle ids and symbolic names for Felix's bundle commands ({@code start},
 * {@code stop}, {@code update}, {@code uninstall}, {@code headers}, {@code inspect},
 * {@code refresh}, {@code resolve});</li>
 * <li>command names after {@code help}.</li>
 * </ul>
 *
 * It never throws and never hangs the console: candidates are computed on a helper
 * thread and given up after {@value #TIMEOUT_MS} ms (the helper is never interrupted, a
 * service may be inside a FileChannel); anything that fails answers nothing.
 */
final class ConsoleCompleter implements Completer {
    static final long TIMEOUT_MS = 2_000;
    private static final String FELIX = "felix";
    /** Felix's commands that take bundles, and whether every argument is one (update: only the first). */
    private static final Set<String> BUNDLE_COMMANDS = Set.of("start", "stop", "update", "uninstall", "headers",
            "inspect", "refresh", "resolve");
    private static final List<String> INSPECT_NAMESPACES = List.of("service", "osgi.wiring.package",
            "osgi.wiring.bundle", "osgi.wiring.host", "osgi.identity", "osgi.ee", "osgi.extender", "osgi.service");

    private final CommandSession session;
    private final Supplier<List<CommandCompletion>> services;
    private final Supplier<Bundle[]> bundles;
    private final ExecutorService helper;

    ConsoleCompleter(CommandSession session, Supplier<List<CommandCompletion>> services, Supplier<Bundle[]> bundles,
            ExecutorService helper) {
        this.session = session;
        this.services = services;
        this.bundles = bundles;
        this.helper = helper;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        try {
            if (!(line instanceof CommandLine) || ((CommandLine) line).inComment()) {
                return;
            }
            CommandLine words = (CommandLine) line;
            Future<List<Candidate>> found = helper.submit(() -> candidates(words));
            try {
                candidates.addAll(found.get(TIMEOUT_MS, TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                found.cancel(false);
            } catch (InterruptedException e) {
                found.cancel(false);
                Thread.currentThread().interrupt(); // Ctrl-C: JLine sees it
            }
        } catch (Throwable e) {
            // Completion answers nothing rather than fail the console.
        }
    }

    /** The candidates for the word under the cursor. */
    List<Candidate> candidates(CommandLine line) {
        List<String> words = line.words();
        int index = line.wordIndex();
        if (index == 0) {
            return line.word().startsWith("$") ? List.of() : commandNames(line.word());
        }
        String typed = words.get(0);
        if (typed.isEmpty() || typed.startsWith("$") || typed.length() == 1 && "}])".contains(typed)) {
            return List.of();
        }
        String command = resolve(typed);
        for (CommandCompletion service : services.get()) {
            if (service.commands().contains(command)) {
                List<Candidate> out = new ArrayList<>();
                for (Completion c : service.complete(words, index)) {
                    out.add(new Candidate(c.value(), c.value(), null, c.description(), null, null, c.complete()));
                }
                return out;
            }
        }
        int colon = command.indexOf(':');
        String scope = colon < 0 ? "" : command.substring(0, colon);
        String function = command.substring(colon + 1);
        if ("help".equals(function)) {
            return index == 1 ? commandNames(line.word()) : List.of();
        }
        if (FELIX.equals(scope) && BUNDLE_COMMANDS.contains(function) && !line.word().startsWith("-")) {
            return bundleArguments(function, position(words, index));
        }
        return List.of();
    }

    /** Which argument the word is, options not counted. */
    private static int position(List<String> words, int index) {
        int position = 0;
        for (int i = 1; i < index; i++) {
            if (!words.get(i).startsWith("-")) {
                position++;
            }
        }
        return position;
    }

    private List<Candidate> bundleArguments(String function, int position) {
        if ("inspect".equals(function)) {
            if (position == 0) {
                return plain(List.of("capability", "requirement"), "inspect");
            }
            if (position == 1) {
                return plain(INSPECT_NAMESPACES, "namespaces");
            }
        }
        if ("update".equals(function) && position > 0) {
            return List.of(); // a URL
        }
        List<Candidate> out = new ArrayList<>();
        for (Bundle b : bundles.get()) {
            String id = Long.toString(b.getBundleId());
            String name = b.getSymbolicName();
            out.add(new Candidate(id, id, "bundles", name, null, null, true));
            if (name != null) {
                out.add(new Candidate(name, name, "bundles", "id " + id, null, null, true));
            }
        }
        return out;
    }

    private static List<Candidate> plain(List<String> values, String group) {
        List<Candidate> out = new ArrayList<>();
        for (String v : values) {
            out.add(new Candidate(v, v, group, null, null, null, true));
        }
        return out;
    }

    /** Command names: scoped once the word has a colon; otherwise unscoped names and the scopes. */
    private List<Candidate> commandNames(String word) {
        List<Candidate> out = new ArrayList<>();
        Set<String> commands = new TreeSet<>(commands());
        if (word.indexOf(':') >= 0) {
            for (String c : commands) {
                out.add(new Candidate(c, c, c.substring(0, c.indexOf(':')), null, null, null, true));
            }
            return out;
        }
        Map<String, String> unscoped = new LinkedHashMap<>();
        Set<String> scopes = new TreeSet<>();
        for (String c : commands) {
            int colon = c.indexOf(':');
            scopes.add(c.substring(0, colon + 1));
            unscoped.putIfAbsent(c.substring(colon + 1), c.substring(0, colon));
        }
        unscoped.forEach((name, scope) -> out.add(new Candidate(name, name, scope, null, null, null, true)));
        for (String scope : scopes) {
            out.add(new Candidate(scope, scope, "scopes", null, null, null, false));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Set<String> commands() {
        Object commands = session.get(".commands");
        return commands instanceof Set ? (Set<String>) commands : Set.of();
    }

    /** The command a typed name runs: itself when scoped, else the first match along SCOPE, as Gogo resolves it. */
    String resolve(String typed) {
        String name = typed.toLowerCase();
        if (name.indexOf(':') >= 0) {
            return name;
        }
        Set<String> commands = commands();
        Object path = session.get("SCOPE");
        for (String scope : (path == null ? "*" : path.toString()).split(":")) {
            if ("*".equals(scope)) {
                for (String c : new TreeSet<>(commands)) {
                    if (c.endsWith(":" + name)) {
                        return c;
                    }
                }
            } else if (commands.contains(scope + ":" + name)) {
                return scope + ":" + name;
            }
        }
        return name;
    }
}
