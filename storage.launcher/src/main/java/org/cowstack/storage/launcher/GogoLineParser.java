package org.cowstack.storage.launcher;

import org.apache.felix.gogo.runtime.EOFError;
import org.apache.felix.gogo.runtime.Parser;
import org.jline.reader.ParsedLine;

/**
 * The console's JLine parser. A line is accepted or continued by Gogo's own parser, as
 * the script runner does: a statement left open (a quote, brace or bracket, a trailing
 * pipe) continues on the next line, the continuation prompt naming what is missing; any
 * other syntax error is accepted and reported in one line when the statement runs. For
 * completion and everything else the line is split by {@link CommandLine}, which never
 * fails.
 *
 * <p>Nothing escapes from here but JLine's {@link org.jline.reader.EOFError}: JLine calls
 * the parser while it redraws the line, where any other exception would end the console
 * (gogo.jline's parser failed so on Tab inside an open quote).
 */
final class GogoLineParser implements org.jline.reader.Parser {
    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) {
        String text = line == null ? "" : line;
        if (context == ParseContext.ACCEPT_LINE || context == ParseContext.SECONDARY_PROMPT) {
            String missing = missing(text);
            if (missing != null) {
                throw new org.jline.reader.EOFError(-1, -1, "the statement goes on", missing);
            }
        }
        try {
            return CommandLine.split(text, cursor);
        } catch (RuntimeException e) {
            return CommandLine.split("", 0); // a bug in the splitter must not end the console
        }
    }

    /**
     * What keeps the program from being complete (Gogo's name for it: {@code quote},
     * {@code compound}, {@code pipe}, ...), or null when it is complete or wrong in a way
     * more input would not mend.
     */
    static String missing(CharSequence program) {
        try {
            new Parser(program).program();
            return null;
        } catch (EOFError e) {
            return e.missing() == null || e.missing().isBlank() ? "more" : e.missing();
        } catch (RuntimeException e) { // SyntaxError, or a bug in the parser: the runner reports it
            return null;
        }
    }
}
