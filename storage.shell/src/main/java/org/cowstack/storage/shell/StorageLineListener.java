package org.cowstack.storage.shell;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.osgi.service.component.annotations.Component;

/**
 * Two things Gogo does to a line before any command sees it, undone for storage commands:
 *
 * <ul>
 * <li><b>Globbing.</b> An unquoted word with {@code *}, {@code ?} or {@code [} is matched
 * against the host's files, and a word that matches nothing fails the whole line with
 * {@code no matches found: file:/x/v.img?direct=true}. A storage command's words are
 * volume paths and device URIs, never host globs (a volume path {@code /tmp*} would even
 * expand to the host's {@code /tmp}), so while a line whose only globbing words belong to
 * storage commands runs, the session's {@code gogo.option.noglob} is set; other lines glob
 * as before.</li>
 * <li><b>Comments.</b> A word starting with {@code //} starts a comment to the end of the
 * line, so {@code storage:ls v //dir} lists {@code /}. When a storage command lost such a
 * word (a {@code //} followed directly by a path, not by a space as a real comment is
 * written), the command is told through {@link Invocation#DROPPED} and refuses with one line
 * saying to write one {@code /} or to quote it. This needs the raw line: a console that
 * executes the parsed program instead (gogo.jline's does, and so do runners executing one
 * parsed statement at a time) has dropped the comment before it gets here.</li>
 * </ul>
 *
 * Gogo calls listeners around every {@code CommandSession.execute}; what is changed is
 * restored after it, per session, nested executes included.
 */
@Component(service = CommandSessionListener.class, immediate = true)
public final class StorageLineListener implements CommandSessionListener {
    /** Gogo's session option (CommandSession.OPTION_NO_GLOB in runtime 1.1; spelled out for older APIs). */
    static final String NO_GLOB = "gogo.option.noglob";

    private record Saved(boolean glob, Object noGlob, boolean dropped, Object droppedBefore) {
    }

    private final Map<CommandSession, Deque<Saved>> saved = new WeakHashMap<>();

    @Override
    public void beforeExecute(CommandSession session, CharSequence command) {
        List<Statement> statements = Line.scan(command == null ? "" : command.toString());
        boolean storageGlobs = false;
        boolean otherGlobs = false;
        List<String> dropped = null;
        for (Statement s : statements) {
            if (s.words().isEmpty()) {
                continue;
            }
            String scoped = storageCommand(session, s.words().get(0));
            if (scoped != null) {
                storageGlobs |= s.globs();
                if (s.comment() != null && dropped == null) {
                    dropped = List.of(scoped, String.valueOf(s.words().size() - 1), s.comment());
                }
            } else {
                otherGlobs |= s.globs();
            }
        }
        boolean noGlob = storageGlobs && !otherGlobs;
        Saved state = new Saved(noGlob, noGlob ? session.get(NO_GLOB) : null, dropped != null,
                dropped != null ? session.get(Invocation.DROPPED) : null);
        if (noGlob) {
            session.put(NO_GLOB, Boolean.TRUE);
        }
        if (dropped != null) {
            session.put(Invocation.DROPPED, dropped);
        }
        synchronized (saved) {
            saved.computeIfAbsent(session, k -> new ArrayDeque<>()).push(state);
        }
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Exception exception) {
        restore(session);
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Object result) {
        restore(session);
    }

    private void restore(CommandSession session) {
        Saved state;
        synchronized (saved) {
            Deque<Saved> stack = saved.get(session);
            state = stack == null ? null : stack.poll();
            if (stack != null && stack.isEmpty()) {
                saved.remove(session);
            }
        }
        if (state == null) {
            return;
        }
        if (state.glob()) {
            session.put(NO_GLOB, state.noGlob());
        }
        if (state.dropped()) {
            session.put(Invocation.DROPPED, state.droppedBefore());
        }
    }

    /**
     * The scoped storage command {@code word} runs, or null: {@code storage:x}, or an
     * unscoped name that Gogo resolves to the storage scope along the session's
     * {@code SCOPE} path, as its command processor does.
     */
    static String storageCommand(CommandSession session, String word) {
        if (word.startsWith(Commands.SCOPE + ":")) {
            return Commands.find(word).map(c -> c.scoped()).orElse(null);
        }
        if (word.indexOf(':') >= 0 || Commands.find(word).isEmpty()) {
            return null;
        }
        String name = word.toLowerCase(java.util.Locale.ROOT);
        Object commands = session.get(".commands");
        Object path = session.get("SCOPE");
        if (!(commands instanceof Set)) {
            return null;
        }
        for (String scope : (path == null ? "*" : path.toString()).split(":")) {
            for (Object c : (Set<?>) commands) {
                String entry = String.valueOf(c);
                if (scope.equals("*") ? entry.endsWith(":" + name) : entry.equals(scope + ":" + name)) {
                    return entry.startsWith(Commands.SCOPE + ":") ? entry : null;
                }
            }
        }
        return null;
    }

    /**
     * One statement of a line as Gogo's tokenizer splits it: its words as typed, whether an
     * unquoted word would be globbed, and the word that started a {@code //} comment inside it.
     */
    record Statement(List<String> words, boolean globs, String comment) {
    }

    /** A small reading of Gogo's syntax: enough to find statements, their command words, globs and comments. */
    static final class Line {
        private final String text;
        private int i;
        private final List<Statement> statements = new ArrayList<>();
        private List<String> words = new ArrayList<>();
        private boolean globs;
        private String comment;

        private Line(String text) {
            this.text = text;
        }

        static List<Statement> scan(String text) {
            Line l = new Line(text);
            l.run();
            return l.statements;
        }

        private void end() {
            if (!words.isEmpty() || comment != null) {
                statements.add(new Statement(List.copyOf(words), globs, comment));
            }
            words = new ArrayList<>();
            globs = false;
            comment = null;
        }

        private void run() {
            while (i < text.length()) {
                char c = text.charAt(i);
                if (c == ' ' || c == '\t' || c == '\r') {
                    i++;
                } else if (c == '\n' || c == ';' || c == '|' || c == '&' || c == '{' || c == '}' || c == '('
                        || c == ')' || c == '[' || c == ']') {
                    end(); // a new statement (a closure, an expression, an array starts one too)
                    i++;
                } else if (c == '#') {
                    skipToEndOfLine();
                } else if (c == '/' && peek(1) == '/') {
                    String word = wordAt(i);
                    if (!words.isEmpty() && word.length() > 2 && comment == null) {
                        comment = word; // "//dir": a path lost; "// text" is a comment
                    }
                    skipToEndOfLine();
                } else if (c == '/' && peek(1) == '*') {
                    int close = text.indexOf("*/", i + 2);
                    i = close < 0 ? text.length() : close + 2;
                } else {
                    word();
                }
            }
            end();
        }

        private char peek(int ahead) {
            return i + ahead < text.length() ? text.charAt(i + ahead) : '\0';
        }

        /** The path-like word at {@code from}: up to a blank or a statement separator. */
        private String wordAt(int from) {
            int to = from;
            while (to < text.length() && !Character.isWhitespace(text.charAt(to)) && ";|&".indexOf(text.charAt(to)) < 0) {
                to++;
            }
            return text.substring(from, to);
        }

        private void skipToEndOfLine() {
            int nl = text.indexOf('\n', i);
            i = nl < 0 ? text.length() : nl;
        }

        private void word() {
            int start = i;
            boolean glob = false;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c) || c == ';' || c == '|' || c == '&' || c == '}' || c == ')'
                        || c == ']') {
                    break;
                }
                if (c == '\\') {
                    i += 2;
                } else if (c == '\'' || c == '"') {
                    i = closing(c, i + 1) + 1;
                } else if ((c == '{' || c == '(') && i > start) {
                    glob |= c == '(' && text.charAt(i - 1) != '$'; // a(b) is a glob to Gogo, $(cmd) is not
                    i = matching(c, c == '{' ? '}' : ')', i + 1) + 1;
                } else {
                    if (c == '*' || c == '?' || c == '[') {
                        glob = true;
                    }
                    i++;
                }
            }
            words.add(text.substring(start, Math.min(i, text.length())));
            globs |= glob;
        }

        private int closing(char quote, int from) {
            for (int j = from; j < text.length(); j++) {
                char c = text.charAt(j);
                if (c == '\\' && quote == '"') {
                    j++;
                } else if (c == quote) {
                    return j;
                }
            }
            return text.length();
        }

        private int matching(char open, char close, int from) {
            int depth = 1;
            for (int j = from; j < text.length(); j++) {
                char c = text.charAt(j);
                if (c == open) {
                    depth++;
                } else if (c == close && --depth == 0) {
                    return j;
                }
            }
            return text.length();
        }
    }
}
