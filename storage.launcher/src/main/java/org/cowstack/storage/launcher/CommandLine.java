package org.cowstack.storage.launcher;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.jline.reader.CompletingParsedLine;

/**
 * A console line split into words the way Gogo's tokenizer sees them, for completion:
 * tolerant of anything (an open quote, brace or bracket, a dangling pipe, a line of any
 * length), linear in the line's length, and never throwing.
 *
 * <p>Only the statement the cursor is in counts: a statement starts after {@code ;},
 * {@code |}, {@code &}, a newline, or inside an opening {@code {}, {@code (} or
 * {@code [} (a closure or a sub-expression), and a closed compound is one word of the
 * statement around it. Quotes are removed from the words ({@code '...'} literally,
 * {@code "..."} and outside quotes with backslash escapes), so a quoted io sub-command
 * such as {@code "pwrite -S 0xab 0"} is one word.
 *
 * <p>A word that starts with a quote still open at the cursor is completed inside the
 * quote: its text starts after the quote, and a candidate is inserted there with the
 * characters the quote needs escaped, closing the quote when the candidate is complete.
 * Any other word is completed as a whole, quoted when a candidate needs it.
 */
final class CommandLine implements CompletingParsedLine {
    private static final String SEPARATORS = ";|&\n";
    /** Characters that make a word something other than a plain word to Gogo. */
    private static final String SPECIAL = " \t\r\n'\"\\;|&{}()[]<>$#?*=`";

    private final String line;
    private final int cursor;
    private final List<String> words;
    private final int wordIndex;
    private final String word;
    private final int wordCursor;
    private final int rawWordCursor;
    private final int rawWordLength;
    /** The open quote the word is completed inside, or 0. */
    private final char quote;
    private final boolean comment;

    private CommandLine(String line, int cursor, List<String> words, int wordIndex, String word, int wordCursor,
            int rawWordCursor, int rawWordLength, char quote, boolean comment) {
        this.line = line;
        this.cursor = cursor;
        this.words = Collections.unmodifiableList(words);
        this.wordIndex = wordIndex;
        this.word = word;
        this.wordCursor = wordCursor;
        this.rawWordCursor = rawWordCursor;
        this.rawWordLength = rawWordLength;
        this.quote = quote;
        this.comment = comment;
    }

    /** Splits {@code line} for completion at {@code cursor} (clamped to the line). */
    static CommandLine split(String line, int cursor) {
        String text = line == null ? "" : line;
        int at = Math.max(0, Math.min(cursor, text.length()));
        return new Splitter(text, at).split();
    }

    /** Whether the cursor is inside a comment ({@code #} or {@code //} starting a word): nothing completes there. */
    boolean inComment() {
        return comment;
    }

    /** The open quote the word is inside ({@code '} or {@code "}), or 0. */
    char quote() {
        return quote;
    }

    @Override
    public String word() {
        return word;
    }

    @Override
    public int wordCursor() {
        return wordCursor;
    }

    @Override
    public int wordIndex() {
        return wordIndex;
    }

    @Override
    public List<String> words() {
        return words;
    }

    @Override
    public String line() {
        return line;
    }

    @Override
    public int cursor() {
        return cursor;
    }

    @Override
    public int rawWordCursor() {
        return rawWordCursor;
    }

    @Override
    public int rawWordLength() {
        return rawWordLength;
    }

    @Override
    public CharSequence escape(CharSequence candidate, boolean complete) {
        String value = candidate.toString();
        if (quote != 0) {
            return inside(quote, value) + (complete ? String.valueOf(quote) : "");
        }
        if (value.isEmpty() || !needsQuotes(value)) {
            return value;
        }
        char q = value.indexOf('\'') < 0 ? '\'' : '"';
        return q + inside(q, value) + (complete ? String.valueOf(q) : "");
    }

    private static boolean needsQuotes(String value) {
        if (value.startsWith("//")) {
            return true; // a comment to Gogo
        }
        for (int i = 0; i < value.length(); i++) {
            if (SPECIAL.indexOf(value.charAt(i)) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** {@code value} as it is written between quotes {@code q}. */
    private static String inside(char q, String value) {
        if (q == '\'') {
            return value.replace("'", "'\"'\"'"); // Gogo's single quotes have no escapes
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\' || c == '$') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    /** One pass over the line up to the cursor, then to the end of the word under it. */
    private static final class Splitter {
        private final String text;
        private final int cursor;
        /** The words of each statement open around the cursor, innermost last. */
        private final List<List<String>> statements = new ArrayList<>();
        private int i;

        Splitter(String text, int cursor) {
            this.text = text;
            this.cursor = cursor;
            statements.add(new ArrayList<>());
        }

        private List<String> statement() {
            return statements.get(statements.size() - 1);
        }

        CommandLine split() {
            while (true) {
                skipBlanks();
                if (i >= cursor) {
                    // Between words: a new, empty word.
                    List<String> words = new ArrayList<>(statement());
                    int index = words.size();
                    words.add("");
                    return new CommandLine(text, cursor, words, index, "", 0, 0, 0, (char) 0, false);
                }
                char c = text.charAt(i);
                if (SEPARATORS.indexOf(c) >= 0) {
                    statement().clear();
                    i++;
                } else if (c == '{' || c == '(' || c == '[') {
                    statements.add(new ArrayList<>());
                    i++;
                } else if (c == '}' || c == ')' || c == ']') {
                    if (statements.size() > 1) {
                        statements.remove(statements.size() - 1);
                    }
                    statement().add(String.valueOf(c)); // the compound, as one word
                    i++;
                } else if (c == '#' || c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '/') {
                    int end = text.indexOf('\n', i);
                    if (end < 0 || end >= cursor) {
                        return new CommandLine(text, cursor, new ArrayList<>(List.of("")), 0, "", 0, 0, 0, (char) 0,
                                true);
                    }
                    i = end; // the newline ends the statement
                } else {
                    CommandLine current = word();
                    if (current != null) {
                        return current;
                    }
                }
            }
        }

        private void skipBlanks() {
            while (i < cursor && (text.charAt(i) == ' ' || text.charAt(i) == '\t' || text.charAt(i) == '\r')) {
                i++;
            }
        }

        /**
         * Reads the word starting at {@code i}: adds it to the statement and returns null
         * when it ends before the cursor, or returns the line split at this word when the
         * cursor is in it or at its end.
         */
        private CommandLine word() {
            int start = i;
            StringBuilder value = new StringBuilder();
            char open = 0;
            boolean quotedFromStart = false;
            while (i < cursor) {
                char c = text.charAt(i);
                if (open != 0) {
                    if (c == open) {
                        open = 0;
                        quotedFromStart = false;
                    } else if (c == '\\' && open == '"' && i + 1 < cursor) {
                        value.append(text.charAt(++i));
                    } else {
                        value.append(c);
                    }
                    i++;
                } else if (c == '\'' || c == '"') {
                    open = c;
                    quotedFromStart = i == start;
                    i++;
                } else if (c == '\\' && i + 1 < cursor) {
                    value.append(text.charAt(i + 1));
                    i += 2;
                } else if (c == ' ' || c == '\t' || c == '\r' || SEPARATORS.indexOf(c) >= 0 || c == '}' || c == ')'
                        || c == ']' || (c == '{' || c == '(' || c == '[') && i == start) {
                    break;
                } else if ((c == '{' || c == '(') && i > start) {
                    // ${...} and the like belong to the word, as to Gogo's tokenizer.
                    int end = Math.min(balanced(i, c, c == '{' ? '}' : ')'), cursor);
                    value.append(text, i, end);
                    i = end;
                } else {
                    value.append(c);
                    i++;
                }
            }
            if (i < cursor) {
                statement().add(value.toString());
                return null;
            }
            // The cursor is in this word (or at its end); what follows it up to the word's end
            // (or its open quote's close, included) is replaced by a completion too.
            int end = endOfWord(open);
            boolean closed = open != 0 && end > cursor && text.charAt(end - 1) == open;
            String rest = unescape(text.substring(cursor, closed ? end - 1 : end), open);
            List<String> words = new ArrayList<>(statement());
            int index = words.size();
            words.add(value + rest);
            if (open != 0 && quotedFromStart) {
                return new CommandLine(text, cursor, words, index, words.get(index), value.length(),
                        cursor - start - 1, end - start - 1, open, false);
            }
            return new CommandLine(text, cursor, words, index, words.get(index), value.length(), cursor - start,
                    end - start, (char) 0, false);
        }

        /** The end (exclusive) of the word under the cursor: its blank, or its open quote's close. */
        private int endOfWord(char open) {
            for (int j = cursor; j < text.length(); j++) {
                char c = text.charAt(j);
                if (open != 0) {
                    if (c == open) {
                        return j + 1;
                    }
                } else if (c == ' ' || c == '\t' || c == '\r' || SEPARATORS.indexOf(c) >= 0
                        || "{}()[]'\"".indexOf(c) >= 0) {
                    return j;
                }
            }
            return text.length();
        }

        /** The end (exclusive) of the compound opened at {@code from}, or the end of the text. */
        private int balanced(int from, char opening, char closing) {
            int depth = 0;
            for (int j = from; j < text.length(); j++) {
                char c = text.charAt(j);
                if (c == opening) {
                    depth++;
                } else if (c == closing && --depth == 0) {
                    return j + 1;
                }
            }
            return text.length();
        }

        private static String unescape(String raw, char open) {
            if (open == '\'' || raw.indexOf('\\') < 0) {
                return raw;
            }
            StringBuilder out = new StringBuilder(raw.length());
            for (int j = 0; j < raw.length(); j++) {
                char c = raw.charAt(j);
                if (c == '\\' && j + 1 < raw.length()) {
                    c = raw.charAt(++j);
                }
                out.append(c);
            }
            return out.toString();
        }
    }
}
